import { cp, mkdir, mkdtemp, open, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { GlideUNet } from '../../../../main/engine/glideModel'
import { encodeCaptions } from '../../../../main/engine/pipelines/index'
import { SeededNoise } from '../../../../main/engine/random/noise'
import {
  buildInt8UNet,
  calibrationCaptions,
  hasInt8UNet,
  int8Files,
  int8ModelInfo,
} from '../../../../main/inference/host/int8UNet'
import { ModelCache } from '../../../../main/inference/host/modelCache'
import {
  loadGlideUNet,
  readGlideUNetModelInfo,
} from '../../../../main/inference/host/onnxGlideUNet'

const miniDir = fileURLToPath(new URL('../../../../native-models/glide-mini/', import.meta.url))
let workDir: string
let modelsDir: string

async function copyModel(id: string, as = id): Promise<string> {
  const target = join(modelsDir, as)
  await cp(join(miniDir, id), target, {
    recursive: true,
    filter: (source) => !source.includes('.ort-cache') && !source.includes('unet.int8'),
  })
  return target
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'glide-int8-'))
  modelsDir = join(workDir, 'models')
  await mkdir(modelsDir)
})
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true })
})

/** eps of both models for one noisy input at t, relative RMS difference. */
async function epsDifference(float: GlideUNet, int8: GlideUNet, t: number): Promise<number> {
  const size = float.options.image_size
  const text = await encodeCaptions(float, ['a red circle above a blue square'])
  const x = new SeededNoise(3).normal(3 * size * size)
  const inputs = {
    x,
    timesteps: [t],
    text,
    inpaintImage: new Float32Array(3 * size * size),
    inpaintMask: new Float32Array(size * size),
  }
  const expected = await float.denoise(inputs)
  const actual = await int8.denoise(inputs)
  let error = 0
  let magnitude = 0
  for (let index = 0; index < 3 * size * size; index++) {
    error += ((actual[index] ?? 0) - (expected[index] ?? 0)) ** 2
    magnitude += (expected[index] ?? 0) ** 2
  }
  return Math.sqrt(error / magnitude)
}

describe('buildInt8UNet', () => {
  it('calibrates GLIDE-mini base on its fixed runs and writes an 8-bit copy that predicts eps within 10 %', async () => {
    const dir = await copyModel('glide-mini-base')
    const info = await readGlideUNetModelInfo(dir)
    expect(await hasInt8UNet(dir, info)).toBe(false)
    const progress: string[] = []
    await buildInt8UNet(dir, info, { onProgress: (run, runs) => progress.push(`${run}/${runs}`) })
    // Inpainting models are calibrated on text to image and on inpainting for each caption.
    const runs = calibrationCaptions.length * 2
    expect(progress).toEqual(Array.from({ length: runs + 1 }, (_, run) => `${run}/${runs}`))
    expect(await hasInt8UNet(dir, info)).toBe(true)
    const floatBytes = (await stat(join(dir, 'unet.onnx.data'))).size
    const int8Bytes = (await stat(join(dir, int8Files.data))).size
    expect(int8Bytes).toBeLessThan(floatBytes * 0.3)

    const float = await loadGlideUNet(dir)
    const int8 = await loadGlideUNet(dir, { model: int8ModelInfo(info) })
    for (const t of [900, 500, 100]) {
      const difference = await epsDifference(float, int8, t)
      expect(difference).toBeGreaterThan(0)
      expect(difference).toBeLessThan(0.1)
    }
    await float.dispose()
    await int8.dispose()
  })

  it('calibrates an upsampler on its own stage, from fixed low-res pictures', async () => {
    const dir = await copyModel('glide-mini-upsample')
    const info = await readGlideUNetModelInfo(dir)
    await buildInt8UNet(dir, info)
    expect(await hasInt8UNet(dir, info)).toBe(true)
  })

  it('notices that the weights changed after the copy was made', async () => {
    const dir = await copyModel('glide-mini-base', 'changed-base')
    const info = await readGlideUNetModelInfo(dir)
    await buildInt8UNet(dir, info)
    expect(await hasInt8UNet(dir, info)).toBe(true)
    const handle = await open(join(dir, 'unet.onnx.data'), 'r+')
    await handle.write(Buffer.from([1, 2, 3, 4]), 0, 4, 0)
    await handle.close()
    expect(await hasInt8UNet(dir, info)).toBe(false)
  })
})

describe('ModelCache with int8', () => {
  it('runs the 8-bit copy on CPU, making it first, and keeps float32 apart', async () => {
    await copyModel('glide-mini-base', 'cache-base')
    const ref = { modelsDir, id: 'cache-base' }
    const cache = new ModelCache({ userCacheDir: join(workDir, 'user-cache') })
    const prepared: number[] = []
    const int8 = await cache.get(ref, 'cpu', 'int8', { onProgress: (run) => prepared.push(run) })
    expect(int8.precision).toBe('int8')
    expect(prepared.length).toBeGreaterThan(1)
    const float = await cache.get(ref, 'cpu', 'float32')
    expect(float.precision).toBe('float32')
    expect(float.unet).not.toBe(int8.unet)
    expect(await epsDifference(float.unet, int8.unet, 500)).toBeLessThan(0.1)
    await cache.releaseAll()
  })

  it.each(['glide-mini-base', 'glide-mini-upsample'])(
    'stops making the copy of %s when the job is cancelled, writing nothing and caching nothing',
    async (id) => {
      const dir = await copyModel(id, `cancelled-${id}`)
      const cache = new ModelCache({ userCacheDir: join(workDir, 'user-cache') })
      let steps = 0
      const ref = { modelsDir, id: `cancelled-${id}` }
      await expect(
        cache.get(ref, 'cpu', 'int8', { isCancelled: () => ++steps > 2 }),
      ).rejects.toMatchObject({ code: 'CANCELLED' })
      const files = await readdir(dir)
      expect(files.filter((name) => name.includes('int8'))).toEqual([])
      expect(cache.has(ref, 'cpu', 'int8')).toBe(false)
    },
  )

  it('falls back to float32 with a warning when the copy cannot be written', async () => {
    const dir = await copyModel('glide-mini-base', 'blocked-base')
    // A directory where the weights file must go: writing it fails, as a full disk would.
    await mkdir(join(dir, `${int8Files.data}.partial`))
    const warnings: string[] = []
    const cache = new ModelCache({
      userCacheDir: join(workDir, 'user-cache'),
      onWarning: (message) => warnings.push(message),
    })
    const loaded = await cache.get({ modelsDir, id: 'blocked-base' }, 'cpu', 'int8')
    expect(loaded.precision).toBe('float32')
    expect(warnings).toEqual([
      expect.stringMatching(/Could not make the 8-bit copy of glide-mini-base/),
    ])
    expect(await hasInt8UNet(dir, await readGlideUNetModelInfo(dir))).toBe(false)
    await cache.releaseAll()
  })
})
