import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { ExecutionProviderName } from '../../../../contract/jobs'
import { openTorchCheckpoint } from '../../../../main/engine/checkpoint/checkpoint'
import type { UNetInputs } from '../../../../main/engine/glideModel'
import { writeGlideOnnx } from '../../../../main/engine/onnx/glideGraphs'
import {
  loadGlideUNet,
  sessionOptions,
  type GlideUNetModelInfo,
} from '../../../../main/inference/host/onnxGlideUNet'
import { maxAbsDifference } from '../../../helpers/npy'
import { loadReferenceCase, type ReferenceCase } from '../../engine/onnx/referenceCases'

// upsample-inpaint feeds every optional input (inpaint_image, inpaint_mask, low_res).
const reference: ReferenceCase = loadReferenceCase('upsample-inpaint')
const model: GlideUNetModelInfo = {
  id: 'reference-upsample-inpaint',
  kind: reference.kind,
  options: reference.options,
  files: { text_encoder: 'text_encoder.onnx', unet: 'unet.onnx' },
}
let workDir: string
let modelDir: string

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'glide-host-test-'))
  modelDir = join(workDir, 'model')
  await mkdir(modelDir)
  const checkpoint = await openTorchCheckpoint(reference.checkpointPath)
  try {
    await writeGlideOnnx(reference.kind, reference.options, checkpoint, modelDir)
  } finally {
    await checkpoint.close()
  }
})
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true })
})

function rows<T>(data: ArrayLike<T>, width: number): T[][] {
  return Array.from({ length: data.length / width }, (_, row) =>
    Array.from({ length: width }, (_, i) => data[row * width + i] as T),
  )
}

function textInputs(): { tokens: number[][]; mask: boolean[][] } {
  const ctx = reference.options.text_ctx
  return {
    tokens: rows(Array.from(reference.tokens, Number), ctx),
    mask: rows(Array.from(reference.mask, Boolean), ctx),
  }
}

async function denoiseReference(
  unet: Awaited<ReturnType<typeof loadGlideUNet>>,
): Promise<Float32Array> {
  const { tokens, mask } = textInputs()
  const text = await unet.encodeText(tokens, mask)
  return unet.denoise({
    x: reference.x,
    timesteps: Array.from(reference.timesteps, Number),
    text,
    inpaintImage: reference.inpaintImage,
    inpaintMask: reference.inpaintMask,
    lowRes: reference.lowRes,
  })
}

/** A provider this platform's onnxruntime-node does not ship. */
const unavailableProvider: ExecutionProviderName =
  process.platform === 'darwin' ? 'directml' : 'coreml'

describe('sessionOptions', () => {
  // What each choice is worth is measured by `npm run bench -- --ort-options`, not here.
  it('runs the app threads without spinning and without the memory pattern', () => {
    const options = sessionOptions('cpu', 2)
    expect(options).toMatchObject({
      executionProviders: ['cpu'],
      intraOpNumThreads: 2,
      enableMemPattern: false,
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    })
    expect(sessionOptions('cuda', undefined)).not.toHaveProperty('intraOpNumThreads')
  })
})

describe('loadGlideUNet', () => {
  it('runs the reference model within 1e-4 and loads from the optimised-graph cache the second time', async () => {
    const cacheDir = join(workDir, 'cache')
    await mkdir(cacheDir)
    const stale = ['unet.cpu.0123456789abcdef.onnx', 'unet.cpu.0123456789abcdef.onnx.data']
    const otherProvider = 'unet.cuda.0123456789abcdef.onnx'
    for (const name of [...stale, otherProvider]) await writeFile(join(cacheDir, name), 'old')
    const first = await loadGlideUNet(modelDir, { model, cacheDir })
    expect(first.executionProvider).toBe('cpu')
    expect(first.loadedFromCache).toEqual({ textEncoder: false, unet: false })
    const firstOut = await denoiseReference(first)
    expect(maxAbsDifference(firstOut, reference.out)).toBeLessThanOrEqual(1e-4)
    await first.dispose()

    const cached = (await readdir(cacheDir)).filter((name) => name !== otherProvider)
    expect(cached.filter((name) => name.endsWith('.onnx'))).toHaveLength(2)
    expect(cached.filter((name) => name.endsWith('.onnx.data'))).toHaveLength(2)
    expect(cached.some((name) => stale.includes(name))).toBe(false)
    expect(await readdir(cacheDir)).toContain(otherProvider)
    expect(cached.some((name) => name.endsWith('.partial'))).toBe(false)

    const second = await loadGlideUNet(modelDir, { model, cacheDir })
    expect(second.loadedFromCache).toEqual({ textEncoder: true, unet: true })
    expect(maxAbsDifference(await denoiseReference(second), reference.out)).toBeLessThanOrEqual(
      1e-4,
    )
    await second.dispose()
  })

  it('caches in the user cache when the model folder cannot take a cache (read-only install)', async () => {
    const blocked = join(workDir, 'blocked-cache')
    await writeFile(blocked, 'a file where the cache folder would go')
    const userCacheDir = join(workDir, 'user-cache')
    const unet = await loadGlideUNet(modelDir, { model, cacheDir: blocked, userCacheDir })
    await unet.dispose()
    const [folder, ...others] = await readdir(join(userCacheDir, 'ort-cache'))
    expect(others).toEqual([])
    expect(folder).toMatch(new RegExp(`^${model.id}-[0-9a-f]{12}$`))
    const cached = await readdir(join(userCacheDir, 'ort-cache', folder ?? ''))
    expect(cached.filter((name) => name.endsWith('.onnx'))).toHaveLength(2)
    const again = await loadGlideUNet(modelDir, { model, cacheDir: blocked, userCacheDir })
    expect(again.loadedFromCache).toEqual({ textEncoder: true, unet: true })
    await again.dispose()
  })

  it('reads model.json when no manifest is given, falls back to the CPU and caches nothing by default', async () => {
    const manifest = {
      format: 'glide-studio/model@1',
      id: model.id,
      name: 'Reference upsample-inpaint',
      kind: model.kind,
      options: model.options,
      tokenizer: 'gpt2-bpe',
      diffusion: { steps: 1000, noiseSchedule: model.options.noise_schedule },
      files: model.files,
      source: { checkpoint: 'checkpoint.pt', sha256: '0'.repeat(64) },
      license: 'test',
    }
    await writeFile(join(modelDir, 'model.json'), JSON.stringify(manifest))
    const unet = await loadGlideUNet(modelDir, {
      executionProviders: [unavailableProvider],
    })
    expect(unet.executionProvider).toBe('cpu')
    expect(unet.loadedFromCache).toEqual({ textEncoder: false, unet: false })
    expect((await readdir(modelDir)).sort()).toEqual([
      'model.json',
      'text_encoder.onnx',
      'text_encoder.onnx.data',
      'unet.onnx',
      'unet.onnx.data',
    ])
    expect(unet.id).toBe(model.id)
    expect(unet.kind).toBe('upsample-inpaint')
    expect(maxAbsDifference(await denoiseReference(unet), reference.out)).toBeLessThanOrEqual(1e-4)
    await unet.dispose()
  })

  it('reports a provider that cannot start as EP_UNAVAILABLE when no fallback is allowed', async () => {
    await expect(
      loadGlideUNet(modelDir, { model, executionProvider: unavailableProvider, cacheDir: null }),
    ).rejects.toMatchObject({ code: 'EP_UNAVAILABLE' })
  })

  it('rejects a folder without the ONNX files', async () => {
    const empty = await mkdtemp(join(workDir, 'empty-'))
    await expect(loadGlideUNet(empty, { model, cacheDir: null })).rejects.toMatchObject({
      code: 'MODEL_INVALID',
    })
  })

  it('rejects inputs the model cannot take', async () => {
    const unet = await loadGlideUNet(modelDir, { model, cacheDir: null })
    const { tokens, mask } = textInputs()
    await expect(unet.encodeText([[1, 2, 3]], [[true, true, true]])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    const text = await unet.encodeText(tokens, mask)
    const inputs: UNetInputs = {
      x: reference.x,
      timesteps: Array.from(reference.timesteps, Number),
      text,
      inpaintImage: reference.inpaintImage,
      inpaintMask: reference.inpaintMask,
    }
    await expect(unet.denoise(inputs)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: /lowRes/,
    })
    const outOfVocabulary = tokens.map((row) => row.map(() => 50257))
    await expect(unet.encodeText(outOfVocabulary, mask)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    const fractional = {
      ...inputs,
      lowRes: reference.lowRes,
      timesteps: inputs.timesteps.map(() => 0.5),
    }
    await expect(unet.denoise(fractional)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(
      unet.denoise({ ...inputs, lowRes: reference.lowRes, x: reference.x.subarray(1) }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    await unet.dispose()
  })
})
