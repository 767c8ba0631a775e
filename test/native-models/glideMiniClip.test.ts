import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
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
