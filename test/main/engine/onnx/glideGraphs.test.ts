import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { GlideError } from '../../../../contract/errors'
import { openTorchCheckpoint } from '../../../../main/engine/checkpoint/checkpoint'
import {
  officialOptions,
  type GlideOptions,
  type UNetKind,
} from '../../../../main/engine/glideOptions'
import { expectedTensors, glideArchitecture } from '../../../../main/engine/onnx/glideArchitecture'
import { writeGlideOnnx } from '../../../../main/engine/onnx/glideGraphs'
import type { TensorSource } from '../../../../main/engine/tensorSource'
import { maxAbsDifference } from '../../../helpers/npy'
import { SeededTensorSource } from '../../../../main/engine/seededTensorSource'
import { loadPlainVariantCase, loadReferenceCase, referenceKinds } from './referenceCases'

let workDir: string
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'glide-onnx-test-'))
})
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true })
})

async function openSessions(
  dir: string,
): Promise<{ text: ort.InferenceSession; unet: ort.InferenceSession }> {
  const options: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  }
  return {
    text: await ort.InferenceSession.create(join(dir, 'text_encoder.onnx'), options),
    unet: await ort.InferenceSession.create(join(dir, 'unet.onnx'), options),
  }
}

const cases = [
  ...referenceKinds.map((kind) => ({
    name: `glide-text2im's ${kind} U-Net`,
    load: () => loadReferenceCase(kind),
  })),
  {
    name: 'PyTorch on a base U-Net without scale-shift norm, resblock up/down, padding embedding or final LayerNorm',
    load: loadPlainVariantCase,
  },
]

describe('writeGlideOnnx on checkpoints with reference outputs', () => {
  for (const { name, load } of cases) {
    it(`reproduces ${name} within 1e-4`, async () => {
      const reference = load()
      const kind = reference.kind
      const outDir = await mkdtemp(join(workDir, `${kind}-`))
      const checkpoint = await openTorchCheckpoint(reference.checkpointPath)
      let files
      try {
        files = await writeGlideOnnx(kind, reference.options, checkpoint, outDir)
      } finally {
        await checkpoint.close()
      }
      expect(files.textEncoder).toBe(join(outDir, 'text_encoder.onnx'))
      expect((await readdir(outDir)).sort()).toEqual(
        ['text_encoder.onnx', 'text_encoder.onnx.data', 'unet.onnx', 'unet.onnx.data'].sort(),
      )

      const { text, unet } = await openSessions(outDir)
      const { batch, options } = reference
      const ctx = options.text_ctx
      const encoded = await text.run({
        tokens: new ort.Tensor('int64', reference.tokens, [batch, ctx]),
        mask: new ort.Tensor('bool', reference.mask, [batch, ctx]),
      })
      expect(encoded.xf_proj?.dims).toEqual([batch, 4 * options.num_channels])
      expect(encoded.xf_out?.dims).toEqual([batch, options.xf_width, ctx])

      const size = options.image_size
      const feeds: Record<string, ort.Tensor> = {
        x: new ort.Tensor('float32', reference.x, [batch, 3, size, size]),
        timesteps: new ort.Tensor('int64', reference.timesteps, [batch]),
        xf_proj: encoded.xf_proj as ort.Tensor,
        xf_out: encoded.xf_out as ort.Tensor,
      }
      if (reference.inpaintImage && reference.inpaintMask) {
        feeds.inpaint_image = new ort.Tensor('float32', reference.inpaintImage, [
          batch,
          3,
          size,
          size,
        ])
        feeds.inpaint_mask = new ort.Tensor('float32', reference.inpaintMask, [
          batch,
          1,
          size,
          size,
        ])
      }
      if (reference.lowRes) {
        feeds.low_res = new ort.Tensor('float32', reference.lowRes, [batch, 3, size / 4, size / 4])
      }
      expect([...unet.inputNames].sort()).toEqual(Object.keys(feeds).sort())
      const result = await unet.run(feeds)
      expect(result.out?.dims).toEqual([batch, 6, size, size])
      expect(maxAbsDifference(result.out?.data as Float32Array, reference.out)).toBeLessThanOrEqual(
        1e-4,
      )
      await text.release()
      await unet.release()
    })
  }
})

/** Wraps a source to drop, add or reshape one tensor. */
function alteredSource(
  source: TensorSource,
  change: {
    drop?: string
    add?: { name: string; shape: number[] }
    reshape?: { name: string; shape: number[] }
  },
): TensorSource {
  const names = source.names().filter((name) => name !== change.drop)
  if (change.add) names.push(change.add.name)
  return {
    names: () => names,
    shape: (name) => {
      if (name === change.add?.name) return change.add.shape
      if (name === change.reshape?.name) return change.reshape.shape
      return source.shape(name)
    },
    read: (name) => source.read(name),
  }
}

describe('writeGlideOnnx checks the checkpoint against the options', () => {
  const options = loadReferenceCase('base').options
  const expected = expectedTensors(glideArchitecture('base', options))
  const source = new SeededTensorSource(expected)

  async function mismatch(tensors: TensorSource): Promise<GlideError> {
    const outDir = await mkdtemp(join(workDir, 'mismatch-'))
    const error = await writeGlideOnnx('base', options, tensors, outDir).catch(
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(GlideError)
    expect((error as GlideError).code).toBe('CHECKPOINT_MISMATCH')
    expect(await readdir(outDir)).toEqual([])
    return error as GlideError
  }

  it('names a missing tensor', async () => {
    const error = await mismatch(alteredSource(source, { drop: 'middle_block.1.qkv.weight' }))
    expect(error.message).toContain('middle_block.1.qkv.weight')
  })

  it('names an unexpected tensor', async () => {
    const error = await mismatch(
      alteredSource(source, { add: { name: 'unemb.weight', shape: [50257, 16] } }),
    )
    expect(error.message).toContain('unemb.weight')
  })

  it('names a wrongly shaped tensor with both shapes', async () => {
    const error = await mismatch(
      alteredSource(source, { reshape: { name: 'out.2.weight', shape: [3, 32, 3, 3] } }),
    )
    expect(error.message).toContain('out.2.weight')
    expect(error.message).toContain('[3, 32, 3, 3]')
    expect(error.message).toContain('[6, 32, 3, 3]')
  })

  it('streams: reads each tensor once, in the source order, into the external data files', async () => {
    const outDir = await mkdtemp(join(workDir, 'stream-'))
    const reads: string[] = []
    const counting: TensorSource = {
      names: () => source.names(),
      shape: (name) => source.shape(name),
      read: (name) => {
        reads.push(name)
        return source.read(name)
      },
    }
    await writeGlideOnnx('base', options, counting, outDir)
    expect(reads).toEqual(source.names())
    const sizes = Object.fromEntries(
      await Promise.all(
        (await readdir(outDir)).map(
          async (name) => [name, (await stat(join(outDir, name))).size] as const,
        ),
      ),
    )
    const weightBytes = (role: string): number =>
      expected
        .filter((tensor) => tensor.role === role)
        .reduce((sum, tensor) => sum + 4 * tensor.shape.reduce((a, b) => a * b, 1), 0)
    expect(sizes['unet.onnx.data']).toBeGreaterThanOrEqual(weightBytes('unet'))
    expect(sizes['text_encoder.onnx.data']).toBeGreaterThanOrEqual(weightBytes('textEncoder'))
    expect(sizes['unet.onnx']).toBeLessThan(weightBytes('unet') / 10)
    expect(sizes['text_encoder.onnx']).toBeLessThan(weightBytes('textEncoder') / 10)
  })

  it('fails a tensor whose data does not fill its shape, leaving no files', async () => {
    const outDir = await mkdtemp(join(workDir, 'short-'))
    const short: TensorSource = {
      names: () => source.names(),
      shape: (name) => source.shape(name),
      read: async (name) =>
        name === 'time_embed.2.bias' ? new Float32Array(3) : source.read(name),
    }
    await expect(writeGlideOnnx('base', options, short, outDir)).rejects.toMatchObject({
      code: 'CHECKPOINT_CORRUPT',
    })
    expect(await readdir(outDir)).toEqual([])
  })
})

describe('writeGlideOnnx on configurations the official models do not use', () => {
  const variants: { name: string; kind: UNetKind; options: GlideOptions }[] = [
    {
      name: 'no scale-shift norm, conv resampling, no padding embedding, no final LayerNorm',
      kind: 'base',
      options: {
        ...officialOptions('base'),
        image_size: 32,
        num_channels: 32,
        num_res_blocks: 2,
        channel_mult: '1,2,2',
        num_head_channels: -1,
        num_heads: 2,
        num_heads_upsample: 4,
        attention_resolutions: '16,8',
        text_ctx: 12,
        xf_width: 24,
        xf_layers: 1,
        xf_heads: 3,
        xf_final_ln: false,
        xf_padding: false,
        use_scale_shift_norm: false,
        resblock_updown: false,
      },
    },
    {
      name: 'an upsampling inpainter with odd head counts and no text layers',
      kind: 'upsample-inpaint',
      options: {
        ...officialOptions('upsample-inpaint'),
        image_size: 32,
        num_channels: 32,
        num_res_blocks: 1,
        channel_mult: '1,1,3',
        num_head_channels: 32,
        attention_resolutions: '8',
        text_ctx: 8,
        xf_width: 16,
        xf_layers: 0,
        xf_heads: 1,
      },
    },
    {
      // glide-text2im's create_model would insist on 2^(levels + 2) = image_size; GLIDE-mini's
      // upsampler stops downsampling earlier (128 px, 3 levels), which the network allows.
      name: 'an upsampling inpainter with fewer levels than create_model would pick',
      kind: 'upsample-inpaint',
      options: {
        ...officialOptions('upsample-inpaint'),
        image_size: 64,
        num_channels: 32,
        num_res_blocks: 1,
        channel_mult: '1,2',
        num_head_channels: 32,
        attention_resolutions: '32',
        text_ctx: 8,
        xf_width: 16,
        xf_layers: 1,
        xf_heads: 2,
      },
    },
  ]

  it('refuses an image size that the levels cannot halve', () => {
    expect(() =>
      glideArchitecture('base', {
        ...officialOptions('base'),
        image_size: 36,
        channel_mult: '1,2,2,2',
      }),
    ).toThrow(/image_size 36 cannot be halved 3 times/)
  })

  for (const variant of variants) {
    it(`builds and runs ${variant.name}`, async () => {
      const { kind, options } = variant
      const outDir = await mkdtemp(join(workDir, 'variant-'))
      const source = new SeededTensorSource(expectedTensors(glideArchitecture(kind, options)), 3)
      await writeGlideOnnx(kind, options, source, outDir)
      const { text, unet } = await openSessions(outDir)
      const batch = 2
      const ctx = options.text_ctx
      const size = options.image_size
      const encoded = await text.run({
        tokens: new ort.Tensor(
          'int64',
          BigInt64Array.from({ length: batch * ctx }, (_, i) => BigInt(i * 7)),
          [batch, ctx],
        ),
        mask: new ort.Tensor(
          'bool',
          Uint8Array.from({ length: batch * ctx }, (_, i) => (i % ctx < 3 ? 1 : 0)),
          [batch, ctx],
        ),
      })
      const image = (channels: number, side: number): ort.Tensor =>
        new ort.Tensor(
          'float32',
          Float32Array.from({ length: batch * channels * side * side }, (_, i) => Math.sin(i)),
          [batch, channels, side, side],
        )
      const feeds: Record<string, ort.Tensor> = {
        x: image(3, size),
        timesteps: new ort.Tensor('int64', BigInt64Array.from([3n, 998n]), [batch]),
        xf_proj: encoded.xf_proj as ort.Tensor,
        xf_out: encoded.xf_out as ort.Tensor,
      }
      if (kind === 'upsample-inpaint') {
        feeds.inpaint_image = image(3, size)
        feeds.inpaint_mask = image(1, size)
        feeds.low_res = image(3, size / 4)
      }
      const out = (await unet.run(feeds)).out
      expect(out?.dims).toEqual([batch, 6, size, size])
      const values = out?.data as Float32Array
      expect(values.every(Number.isFinite)).toBe(true)
      // The two samples differ (timestep, text and image), so the output must too.
      const half = values.length / 2
      expect(maxAbsDifference(values.subarray(0, half), values.subarray(half))).toBeGreaterThan(
        1e-3,
      )
      await text.release()
      await unet.release()
    })
  }
})
