import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { openTorchCheckpoint } from '../../../../main/engine/checkpoint/checkpoint'
import { GlideError } from '../../../../contract/errors'
import {
  clipArchitecture,
  clipExpectedTensors,
  clipOptionsFrom,
  parseClipConfigText,
  releasedClipOptions,
  type ClipEncoderKind,
} from '../../../../main/engine/clip/clipOptions'
import { SeededTensorSource } from '../../../../main/engine/seededTensorSource'
import { writeClipOnnx } from '../../../../main/engine/onnx/clipGraphs'
import { readNpy, readNpyFloat32 } from '../../../helpers/npy'

const reference = new URL('../../../fixtures/glide-reference/clip-tiny/', import.meta.url)
const file = (name: string): string => new URL(name, reference).pathname

let workDir: string
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'clip-onnx-test-'))
})
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true })
})

async function tinyOptions() {
  return clipOptionsFrom(
    parseClipConfigText(await readFile(file('config.yaml'), 'utf8'), 'config.yaml'),
  )
}

async function convert(kind: ClipEncoderKind, checkpoint: string): Promise<string> {
  const outDir = await mkdtemp(join(workDir, `${kind}-`))
  const source = await openTorchCheckpoint(file(checkpoint))
  try {
    await writeClipOnnx(kind, await tinyOptions(), source, outDir)
  } finally {
    await source.close()
  }
  return outDir
}

function session(path: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path, { graphOptimizationLevel: 'all', logSeverityLevel: 3 })
}

function maxAbs(values: ArrayLike<number>): number {
  let max = 0
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i] ?? 0))
  return max
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)))
  return max
}

describe('writeClipOnnx on the clip-tiny reference checkpoints', () => {
  const x = readNpyFloat32(file('x.npy'))
  const timesteps = readNpy(file('timesteps.npy')).data as BigInt64Array
  const tokens = readNpy(file('tokens.npy')).data as BigInt64Array
  const lens = readNpy(file('lens.npy')).data as BigInt64Array
  const batch = timesteps.length

  it('reproduces the text embedding within 1e-4', async () => {
    const dir = await convert('clip-text', 'text_enc.pt')
    expect((await readdir(dir)).sort()).toEqual(['text_encoder.onnx', 'text_encoder.onnx.data'])
    const text = await session(join(dir, 'text_encoder.onnx'))
    const out = await text.run({
      tokens: new ort.Tensor('int64', tokens, [batch, 77]),
      lens: new ort.Tensor('int64', lens, [batch]),
    })
    const textEmb = out.text_emb?.data as Float32Array
    const difference = maxDifference(textEmb, readNpyFloat32(file('text_emb.npy')).data)
    process.stdout.write(`clip-tiny text_emb max |error| ${difference.toExponential(2)}\n`)
    expect(difference).toBeLessThan(1e-4)
  })

  it('reproduces the image embedding within 1e-4 and the gradient within 1e-3 of its largest value', async () => {
    const dir = await convert('clip-image', 'image_enc.pt')
    expect((await readdir(dir)).sort()).toEqual([
      'image_encoder.onnx',
      'image_encoder.onnx.data',
      'image_grad.onnx',
    ])
    const feeds = {
      x: new ort.Tensor('float32', x.data, x.shape),
      timesteps: new ort.Tensor('int64', timesteps, [batch]),
    }
    const encoder = await session(join(dir, 'image_encoder.onnx'))
    const imageEmb = (await encoder.run(feeds)).image_emb?.data as Float32Array
    const embDifference = maxDifference(imageEmb, readNpyFloat32(file('image_emb.npy')).data)

    const textEmb = readNpyFloat32(file('text_emb.npy'))
    const gradSession = await session(join(dir, 'image_grad.onnx'))
    const grad = (
      await gradSession.run({
        ...feeds,
        text_emb: new ort.Tensor('float32', textEmb.data, textEmb.shape),
      })
    ).grad?.data as Float32Array
    const expected = readNpyFloat32(file('grad_scaled.npy')).data.map((value) => value / 3)
    const gradDifference = maxDifference(grad, expected) / maxAbs(expected)
    process.stdout.write(
      `clip-tiny image_emb max |error| ${embDifference.toExponential(2)}; grad max |error| / max |grad| ${gradDifference.toExponential(2)}\n`,
    )
    expect(embDifference).toBeLessThan(1e-4)
    expect(gradDifference).toBeLessThan(1e-3)
  })
})

describe('writeClipOnnx on other configurations of the architecture', () => {
  // Widths, depths, heads, patch size and embedding all differ from clip-tiny and the release.
  const options = clipOptionsFrom({
    image_size: 16,
    patch_size: 8,
    n_timesteps: 50,
    n_vocab: 300,
    max_text_len: 12,
    n_embd: 6,
    n_head_image: 3,
    n_head_state_image: 4,
    n_xf_blocks_image: 3,
    n_head_text: 1,
    n_head_state_text: 10,
    n_xf_blocks_text: 1,
  })

  it('converts both encoders, and the in-graph gradient matches central differences of the encoder', async () => {
    const outDir = await mkdtemp(join(workDir, 'variant-'))
    const image = clipArchitecture('clip-image', options)
    await writeClipOnnx(
      'clip-image',
      options,
      new SeededTensorSource(clipExpectedTensors(image), 3),
      outDir,
    )
    const textDir = await mkdtemp(join(workDir, 'variant-text-'))
    const text = clipArchitecture('clip-text', options)
    await writeClipOnnx(
      'clip-text',
      options,
      new SeededTensorSource(clipExpectedTensors(text), 4),
      textDir,
    )
    const textSession = await session(join(textDir, 'text_encoder.onnx'))
    const tokens = BigInt64Array.from({ length: 24 }, (_, i) => BigInt((i * 37) % 300))
    const textEmb = (
      await textSession.run({
        tokens: new ort.Tensor('int64', tokens, [2, 12]),
        lens: new ort.Tensor('int64', BigInt64Array.from([5n, 12n]), [2]),
      })
    ).text_emb
    expect(textEmb?.dims).toEqual([2, 6])
    const textData = textEmb?.data as Float32Array
    // L2-normalised rows.
    expect(Math.hypot(...textData.subarray(0, 6))).toBeCloseTo(1, 5)

    const encoder = await session(join(outDir, 'image_encoder.onnx'))
    const gradSession = await session(join(outDir, 'image_grad.onnx'))
    const count = 3 * 16 * 16
    const x = Float32Array.from({ length: count }, (_, i) => Math.sin(i * 0.7) * 0.8)
    const timesteps = new ort.Tensor('int64', BigInt64Array.from([17n]), [1])
    const scale = Math.fround(Math.exp(Math.fround(Math.log(100))))
    const similarity = async (input: Float32Array): Promise<number> => {
      const out = await encoder.run({
        x: new ort.Tensor('float32', input, [1, 3, 16, 16]),
        timesteps,
      })
      const emb = out.image_emb?.data as Float32Array
      return emb.reduce((sum, value, i) => sum + scale * value * (textData[i] ?? 0), 0)
    }
    const grad = (
      await gradSession.run({
        x: new ort.Tensor('float32', x, [1, 3, 16, 16]),
        timesteps,
        text_emb: new ort.Tensor('float32', textData.slice(0, 6), [1, 6]),
      })
    ).grad?.data as Float32Array
    const largest = maxAbs(grad)
    expect(largest).toBeGreaterThan(0)
    const step = 1e-2
    for (const index of [0, 101, 257, 500, count - 1]) {
      const plus = Float32Array.from(x)
      const minus = Float32Array.from(x)
      plus[index] = (plus[index] ?? 0) + step
      minus[index] = (minus[index] ?? 0) - step
      const numeric = ((await similarity(plus)) - (await similarity(minus))) / (2 * step)
      expect(Math.abs(numeric - (grad[index] ?? 0))).toBeLessThan(2e-2 * largest)
    }
  })

  it('names the first missing, unexpected or wrongly shaped tensor', async () => {
    const architecture = clipArchitecture('clip-image', options)
    const tensors = clipExpectedTensors(architecture)
    const attempt = async (list: { name: string; shape: number[] }[]): Promise<GlideError> => {
      const outDir = await mkdtemp(join(workDir, 'mismatch-'))
      const error = await writeClipOnnx(
        'clip-image',
        options,
        new SeededTensorSource(list),
        outDir,
      ).then(
        () => new Error('converted'),
        (reason: unknown) => reason,
      )
      expect(error).toBeInstanceOf(GlideError)
      expect(await readdir(outDir)).toEqual([])
      return error as GlideError
    }
    const missing = await attempt(tensors.filter((t) => t.name !== 'blocks.block_1.f_attn.f_k.w'))
    expect(missing.code).toBe('CHECKPOINT_MISMATCH')
    expect(missing.message).toContain('blocks.block_1.f_attn.f_k.w')
    const extra = await attempt([...tensors, { name: 'blocks.block_0.f_attn.f_k.b', shape: [12] }])
    expect(extra.message).toContain('unexpected tensor blocks.block_0.f_attn.f_k.b')
    const wrong = await attempt(
      tensors.map((t) => (t.name === 'blocks.input.w_t' ? { ...t, shape: [1000, 12] } : t)),
    )
    expect(wrong.message).toContain(
      'blocks.input.w_t has shape [1000, 12]; these options expect [50, 12]',
    )
  })
})

describe('CLIP config files', () => {
  it('reads the flat YAML of glide-text2im and the same as JSON, over the released defaults', () => {
    const yaml = parseClipConfigText(
      '# tiny\nn_embd: 32   # width\nbeta_schedule: linear\nlogit_scale: 1e2\n',
      'c.yaml',
    )
    expect(clipOptionsFrom(yaml)).toEqual({
      ...releasedClipOptions,
      n_embd: 32,
      beta_schedule: 'linear',
    })
    expect(parseClipConfigText('{"clip_config": {"n_embd": 32}}', 'c.json')).toEqual({ n_embd: 32 })
  })

  it('refuses lines that are not key: value, and unknown or invalid keys', () => {
    expect(() => parseClipConfigText('n_embd 32', 'c.yaml')).toThrow(/line 1/)
    expect(() => clipOptionsFrom({ n_layers: 3 })).toThrow(/Invalid CLIP config/)
    expect(() => clipOptionsFrom({ n_embd: -1 })).toThrow(/n_embd/)
    expect(() => clipArchitecture('clip-image', clipOptionsFrom({ patch_size: 5 }))).toThrow(
      /not a multiple of patch_size/,
    )
  })

  it('has the released config and every released tensor shape as official_models.json lists them', async () => {
    const official = JSON.parse(
      await readFile(
        new URL('../../../fixtures/glide-reference/official_models.json', import.meta.url),
        'utf8',
      ),
    ) as Record<string, { clip_config?: unknown; tensors: [string, number[]][] }>
    for (const [key, kind] of [
      ['clip/image-enc', 'clip-image'],
      ['clip/text-enc', 'clip-text'],
    ] as const) {
      const entry = official[key]
      expect(entry?.clip_config).toEqual(releasedClipOptions)
      const expected = clipExpectedTensors(clipArchitecture(kind, releasedClipOptions))
      expect(expected.map((t) => [t.name, t.shape])).toEqual(entry?.tensors)
    }
  })
})
