import { cp, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { textToImage } from '../../../../main/engine/pipelines/index'
import {
  memoryPerWeightByte,
  ModelCache,
  type ModelRef,
} from '../../../../main/inference/host/modelCache'
import { glideUNetFiles, loadGlideUNet } from '../../../../main/inference/host/onnxGlideUNet'

const miniDir = fileURLToPath(new URL('../../../../native-models/glide-mini/', import.meta.url))
let workDir: string
let modelsDir: string
let base: ModelRef
let upsampler: ModelRef
let upsamplerNeeds: number
/** Less than either mini model needs: every load that is not cached makes room. */
let tightMemory: number

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'glide-model-cache-'))
  modelsDir = join(workDir, 'models')
  for (const id of ['glide-mini-base', 'glide-mini-upsample']) {
    await cp(join(miniDir, id), join(modelsDir, id), {
      recursive: true,
      filter: (source) => !source.includes('.ort-cache'),
    })
  }
  base = { modelsDir, id: 'glide-mini-base' }
  upsampler = { modelsDir, id: 'glide-mini-upsample' }
  const needs = async (model: ModelRef) =>
    (await glideUNetFiles(join(modelsDir, model.id), { files: {} })).weightsBytes *
    memoryPerWeightByte
  upsamplerNeeds = await needs(upsampler)
  tightMemory = Math.min(await needs(base), upsamplerNeeds) - 1
})
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true })
})

/** A cache over the mini models that logs each U-Net it opens and disposes, in order. */
function recordingCache(availableMemory: () => number) {
  const events: string[] = []
  const cache = new ModelCache({
    userCacheDir: join(workDir, 'user-cache'),
    availableMemory,
    openUNet: async (modelDir, options) => {
      const unet = await loadGlideUNet(modelDir, options)
      events.push(`open ${unet.id}`)
      const dispose = unet.dispose.bind(unet)
      unet.dispose = async () => {
        events.push(`dispose ${unet.id}`)
        await dispose()
      }
      return unet
    },
  })
  return { cache, events }
}

const params = {
  prompt: 'a red circle on a blue sky',
  batchSize: 1,
  guidanceScale: 3,
  baseRespacing: '4',
  upsampleRespacing: '3',
  upsampleTemperature: 0.997,
  seed: 11,
}

/** One text-to-image job as the inference host runs it. */
async function generate(cache: ModelCache) {
  const loadedBase = await cache.getMakingRoom(base, 'cpu')
  const models = { base: loadedBase.unet, upsampler: await cache.onDemand(upsampler, 'cpu') }
  const [image] = await textToImage(models, params)
  return image
}

describe('ModelCache: the upsampler loads at its stage, after the base when memory is short', () => {
  it('releases the base before opening the upsampler when memory is tight; same image', async () => {
    const roomy = recordingCache(() => Number.POSITIVE_INFINITY)
    const tight = recordingCache(() => tightMemory)
    const roomyImage = await generate(roomy.cache)
    const tightImage = await generate(tight.cache)

    expect(tight.events).toEqual([
      'open glide-mini-base',
      'dispose glide-mini-base',
      'open glide-mini-upsample',
    ])
    expect(tight.cache.has(base, 'cpu')).toBe(false)
    expect(tight.cache.has(upsampler, 'cpu')).toBe(true)
    expect(tightImage?.width).toBe(128)
    expect(tightImage?.data).toEqual(roomyImage?.data)

    // Roomy: both stay loaded and the next job opens nothing.
    expect(roomy.events).toEqual(['open glide-mini-base', 'open glide-mini-upsample'])
    expect(roomy.cache.has(base, 'cpu') && roomy.cache.has(upsampler, 'cpu')).toBe(true)
    const again = await generate(roomy.cache)
    expect(roomy.events).toHaveLength(2)
    expect(again?.data).toEqual(roomyImage?.data)

    // Tight again: the upsampler of the last job makes way for the base, and the base for it.
    await generate(tight.cache)
    expect(tight.events.slice(3)).toEqual([
      'dispose glide-mini-upsample',
      'open glide-mini-base',
      'dispose glide-mini-base',
      'open glide-mini-upsample',
    ])
    await Promise.all([roomy.cache.releaseAll(), tight.cache.releaseAll()])
    expect(roomy.events.slice(2).sort()).toEqual([
      'dispose glide-mini-base',
      'dispose glide-mini-upsample',
    ])
  }, 120_000)

  it('keeps the base when exactly the upsampler weights × memoryPerWeightByte are free', async () => {
    const { cache, events } = recordingCache(() => upsamplerNeeds)
    await generate(cache)
    expect(events).toEqual(['open glide-mini-base', 'open glide-mini-upsample'])
    await cache.releaseAll()
  }, 60_000)

  it('checks the upsampler folder before the job samples: a missing file is MODEL_INVALID', async () => {
    const broken = join(modelsDir, 'broken-upsample')
    await cp(join(modelsDir, upsampler.id), broken, { recursive: true })
    await rm(join(broken, 'unet.onnx'))
    const { cache, events } = recordingCache(() => Number.POSITIVE_INFINITY)
    await expect(cache.onDemand({ modelsDir, id: 'broken-upsample' }, 'cpu')).rejects.toMatchObject(
      { code: 'MODEL_INVALID' },
    )
    expect(events).toEqual([])
  })
})

/** Bytes of the files under a folder. */
async function folderBytes(dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size
  }
  return total
}

describe('ModelCache: no optimised-graph cache on disk', () => {
  it('loads without writing a cache and removes the caches earlier versions left', async () => {
    const userCacheDir = join(workDir, 'old-user-cache')
    const oldCaches = [
      join(modelsDir, base.id, '.ort-cache'),
      join(modelsDir, upsampler.id, '.ort-cache'),
      join(userCacheDir, 'ort-cache', 'bundled-model-0123456789ab'),
    ]
    for (const dir of oldCaches) {
      await mkdir(dir, { recursive: true })
      await writeFile(join(dir, 'unet.cpu.0123456789abcdef.onnx.data'), new Uint8Array(4096))
    }
    await writeFile(join(userCacheDir, 'other-file'), 'kept')
    const cache = new ModelCache({ userCacheDir })
    const before = await folderBytes(modelsDir)

    const loaded = await cache.get(base, 'cpu')
    expect(loaded.unet.loadedFromCache).toEqual({ textEncoder: false, unet: false })
    // Both old folder caches went at the first load from this models dir, the loaded model's and
    // the other one's, and so did the user cache's; nothing else there was touched.
    expect(await folderBytes(modelsDir)).toBe(before - 2 * 4096)
    for (const dir of oldCaches) expect(await stat(dir).catch(() => null)).toBeNull()
    expect(await readdir(userCacheDir)).toEqual(['other-file'])

    await cache.get(upsampler, 'cpu')
    expect(await folderBytes(modelsDir)).toBe(before - 2 * 4096)
    await cache.releaseAll()
  }, 60_000)
})
