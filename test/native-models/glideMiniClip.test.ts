import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listModels } from '../../main/models/modelFolder'
import { loadNoisedClip, type OnnxNoisedClip } from '../../main/inference/host/onnxNoisedClip'

// GLIDE-mini's noised CLIP as the app ships it (native-models/glide-mini/glide-mini-clip-*),
// converted by `glide-studio import` from native-models/training/checkpoints/clip/. parity.json
// holds what the PyTorch training code computes from that checkpoint (publish_clip.py); the
// ONNX folders must give the same text embedding and guidance gradient, and the app's CLIP
// tokenizer the same tokens.

const glideMini = fileURLToPath(new URL('../../native-models/glide-mini/', import.meta.url))
const parityPath = fileURLToPath(
  new URL('../../native-models/training/checkpoints/clip/parity.json', import.meta.url),
)

interface ParityCase {
  captions: string[]
  x: number[]
  shape: number[]
  timesteps: number[]
  tokens: number[][]
  lens: number[]
  text_emb: number[]
  grad: number[]
  logit_scale: number
}

const parity = JSON.parse(readFileSync(parityPath, 'utf8')) as ParityCase
let clip: OnnxNoisedClip

function maxAbs(values: ArrayLike<number>): number {
  let max = 0
  for (let index = 0; index < values.length; index++) {
    max = Math.max(max, Math.abs(values[index] ?? 0))
  }
  return max
}

function maxDifference(actual: ArrayLike<number>, expected: readonly number[]): number {
  expect(actual.length).toBe(expected.length)
  let max = 0
  for (let index = 0; index < expected.length; index++) {
    max = Math.max(max, Math.abs((actual[index] ?? NaN) - (expected[index] ?? NaN)))
  }
  return max
}

beforeAll(async () => {
  const { models } = await listModels(glideMini)
  const dirOf = (kind: string): string => {
    const found = models.find((model) => model.manifest.kind === kind)
    if (!found) throw new Error(`no ${kind} folder in ${glideMini}`)
    return found.dir
  }
  clip = await loadNoisedClip(dirOf('clip-image'), dirOf('clip-text'), { cacheDir: null })
})

afterAll(async () => {
  await clip.dispose()
})

describe('GLIDE-mini noised CLIP (shipped folders)', () => {
  it('is the 32 px CLIP of the base model, with the logit scale it was trained to', () => {
    expect(clip.options.image_size).toBe(32)
    expect(clip.options.beta_schedule).toBe('squaredcos_cap_v2')
    expect(clip.options.logit_scale).toBeCloseTo(parity.logit_scale, 4)
  })

  it('tokenizes the scene captions as the training code did', () => {
    for (const [row, caption] of parity.captions.entries()) {
      const { padded, length } = clip.tokenizer.tokenize(caption, clip.options.max_text_len)
      expect(padded).toEqual(parity.tokens[row])
      expect(length).toBe(parity.lens[row])
    }
  })

  it('gives the PyTorch text embedding and guidance gradient', async () => {
    const textEmb = await clip.encodeText(parity.tokens, parity.lens)
    expect(maxDifference(textEmb, parity.text_emb)).toBeLessThan(1e-4)
    const grad = await clip.imageGradient(
      Float32Array.from(parity.x),
      parity.timesteps,
      Float32Array.from(parity.text_emb),
    )
    expect(maxAbs(parity.grad)).toBeGreaterThan(0)
    expect(maxDifference(grad, parity.grad)).toBeLessThan(1e-3 * maxAbs(parity.grad))
  })
})

describe('CLIP guidance offline with GLIDE-mini', () => {
  const bin = fileURLToPath(new URL('../../bin/glide-studio.js', import.meta.url))
  const work = mkdtempSync(join(tmpdir(), 'glide-mini-clip-'))
  // A fresh install: no models dir of the user's, so the only models are the bundled ones.
  const env = {
    ...process.env,
    GLIDE_STUDIO_CONFIG_DIR: join(work, 'config'),
    GLIDE_STUDIO_MODELS_DIR: join(work, 'models'),
  }

  function generate(scale: string, out: string): Promise<{ code: number; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [
          bin,
          'generate',
          '--prompt',
          'a green triangle above a yellow star',
          '--clip-guidance',
          scale,
        ].concat(['--seed', '1', '--out', out]),
        { env, timeout: 120_000 },
        (error, _stdout, stderr) => {
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr })
        },
      )
    })
  }

  it('generates with the bundled CLIP, and the guidance changes the picture', async () => {
    const guided = await generate('3', join(work, 'guided.png'))
    expect(guided.code).toBe(0)
    expect(guided.stderr).toContain('glide-mini-clip-image + glide-mini-clip-text')
    const unguided = await generate('0', join(work, 'unguided.png'))
    expect(unguided.code).toBe(0)
    const read = (name: string) =>
      sharp(join(work, name)).raw().toBuffer({ resolveWithObject: true })
    const [a, b] = await Promise.all([read('guided.png'), read('unguided.png')])
    expect([a.info.width, a.info.height]).toEqual([128, 128])
    let changed = 0
    for (let index = 0; index < a.data.length; index++) {
      if (Math.abs((a.data[index] ?? 0) - (b.data[index] ?? 0)) > 16) changed++
    }
    expect(changed / a.data.length).toBeGreaterThan(0.01)
  })
})
