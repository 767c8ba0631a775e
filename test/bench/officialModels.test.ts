import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'

import { folderDiskUse, officialModelPaths } from '../../bench/officialModels'

describe('bench official models', () => {
  const made: string[] = []
  afterEach(async () => {
    vi.unstubAllEnvs()
    for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true })
  })

  it('keeps checkpoints and folders under GLIDE_BENCH_CACHE, one per kind and seed', () => {
    vi.stubEnv('GLIDE_BENCH_CACHE', '/somewhere/cache')
    expect(officialModelPaths('upsample', 3)).toEqual({
      checkpoint: '/somewhere/cache/upsample-seed3.pt',
      folder: '/somewhere/cache/bench-upsample-seed3',
    })
  })

  it('counts the optimised-graph cache apart from the model files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-disk-'))
    made.push(dir)
    await mkdir(join(dir, '.ort-cache'))
    await writeFile(join(dir, 'unet.onnx'), new Uint8Array(100))
    await writeFile(join(dir, 'unet.onnx.data'), new Uint8Array(1000))
    await writeFile(join(dir, '.ort-cache', 'unet.cpu.0123.onnx.data'), new Uint8Array(700))
    expect(await folderDiskUse(dir)).toEqual({ modelBytes: 1100, cacheBytes: 700 })
  })
})
