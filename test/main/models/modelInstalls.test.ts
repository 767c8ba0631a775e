import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { finishedInstallStages, type InstallProgress } from '../../../contract/modelInstalls'
import type { GlideOptions } from '../../../main/engine/glideOptions'
import { listModels } from '../../../main/models/modelFolder'
import { ModelInstalls } from '../../../main/models/modelInstalls'
import { isOfficialManifest, modelBaseUrlEnv } from '../../../main/models/officialModels'

/**
 * The Models dialog's install queue against a local mirror that serves the reference base
 * checkpoint (a small GLIDE of the official architecture's shape rules) as base.pt. The test seam
 * `optionsFor` gives it the reference options in place of the official ones; everything else
 * (download with resume, hash, conversion, the folder's placement) is what the app runs.
 */

const reference = join(import.meta.dirname, '../../fixtures/glide-reference/unet-base')
const checkpoint = readFileSync(join(reference, 'checkpoint.pt'))
const baseOptions = (
  JSON.parse(readFileSync(join(reference, 'config.json'), 'utf8')) as { options: GlideOptions }
).options

/** Bytes per 10 ms tick when the mirror is slowed down; the whole file then takes ~2 s. */
let slowChunk: number | null = null
const requests: Array<{ url: string; range: string | undefined }> = []

function serve(request: IncomingMessage, response: ServerResponse): void {
  requests.push({ url: request.url ?? '', range: request.headers.range })
  if (request.url !== '/base.pt') {
    response.writeHead(404)
    response.end()
    return
  }
  const start = Number(/^bytes=(\d+)-$/.exec(request.headers.range ?? '')?.[1] ?? 0)
  if (start >= checkpoint.length && start > 0) {
    response.writeHead(416, { 'content-range': `bytes */${checkpoint.length}` })
    response.end()
    return
  }
  const body = checkpoint.subarray(start)
  response.writeHead(start > 0 ? 206 : 200, {
    'content-length': body.length,
    ...(start > 0
      ? { 'content-range': `bytes ${start}-${checkpoint.length - 1}/${checkpoint.length}` }
      : {}),
  })
  if (slowChunk === null) {
    response.end(body)
    return
  }
  let offset = 0
  const timer = setInterval(() => {
    if (response.destroyed || offset >= body.length) {
      clearInterval(timer)
      response.end()
      return
    }
    response.write(body.subarray(offset, offset + (slowChunk ?? body.length)))
    offset += slowChunk ?? body.length
  }, 10)
  response.on('close', () => clearInterval(timer))
}

const server = createServer(serve)
let env: NodeJS.ProcessEnv
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  env = { [modelBaseUrlEnv]: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

let modelsDir: string
let events: InstallProgress[]
let installs: ModelInstalls
beforeEach(() => {
  modelsDir = mkdtempSync(join(tmpdir(), 'glide-installs-'))
  events = []
  requests.length = 0
  slowChunk = null
  installs = new ModelInstalls({
    modelsDir: () => modelsDir,
    env,
    onProgress: (progress) => events.push(progress),
    optionsFor: (key) => (key === 'base' ? baseOptions : undefined),
    progressIntervalMs: 0,
  })
})
afterEach(() => {
  installs.dispose()
  rmSync(modelsDir, { recursive: true, force: true })
})

/** Resolves with the install's last event once it has ended. */
function ended(key: string): Promise<InstallProgress> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const last = events.filter((event) => event.key === key).at(-1)
      if (last && finishedInstallStages.has(last.stage)) {
        clearInterval(timer)
        resolve(last)
      }
    }, 5)
  })
}

function stagesOf(key: string): string[] {
  return events
    .filter((event) => event.key === key)
    .map((event) => event.stage)
    .filter((stage, index, all) => stage !== all[index - 1])
}

describe('ModelInstalls', () => {
  it('lists the six official checkpoints with what each is for, none installed', async () => {
    const state = await installs.official()
    expect(state.modelsDir).toBe(modelsDir)
    expect(state.models.map((model) => [model.key, model.use, model.installed])).toEqual([
      ['base', 'text-to-image', false],
      ['upsample', 'text-to-image', false],
      ['base-inpaint', 'inpainting', false],
      ['upsample-inpaint', 'inpainting', false],
      ['clip/image-enc', 'clip-guidance', false],
      ['clip/text-enc', 'clip-guidance', false],
    ])
    // The base's 385 M float32 weights: about 1.5 GB, as the dialog says.
    expect(state.models[0]?.downloadBytes).toBe(385030726 * 4)
  })

  it('downloads and converts a model into the models folder, reporting each stage', async () => {
    expect(await installs.install(['base'])).toEqual(['base'])
    const last = await ended('base')
    expect(last).toMatchObject({ stage: 'done', receivedBytes: checkpoint.length })
    expect(stagesOf('base')).toEqual([
      'queued',
      'downloading',
      'checking',
      'converting',
      'finishing',
      'done',
    ])
    const downloading = events.filter((event) => event.stage === 'downloading')
    expect(downloading.at(-1)).toMatchObject({
      receivedBytes: checkpoint.length,
      totalBytes: checkpoint.length,
    })
    const { models } = await listModels(modelsDir)
    expect(models.map((model) => model.manifest.id)).toEqual(['glide-base'])
    expect(isOfficialManifest(models[0]!.manifest)).toBe(true)
    expect(readdirSync(join(modelsDir, '.downloads'))).toEqual([])
    const state = await installs.official()
    expect(state.models[0]).toMatchObject({ installed: true, install: { stage: 'done' } })
    // Asked again, an installed model is passed over without a request to the mirror.
    requests.length = 0
    expect(await installs.install(['base'])).toEqual([])
    expect(requests).toEqual([])
  })

  it('refuses a key that is not on the official list', async () => {
    await expect(installs.install(['base', 'nope'])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('No official model "nope"'),
    })
    expect(events).toEqual([])
  })

  it('reports a failure with its typed error and goes on to the next install', async () => {
    // The mirror has no upsample.pt (404); base comes after it in the queue and still installs.
    expect(await installs.install(['upsample', 'base'])).toEqual(['base', 'upsample'])
    const failed = await ended('base').then(() => ended('upsample'))
    expect(failed.stage).toBe('failed')
    expect(failed.error?.code).toBe('DOWNLOAD_FAILED')
    expect(existsSync(join(modelsDir, 'glide-upsample'))).toBe(false)
    expect((await ended('base')).stage).toBe('done')
  })

  it('cancels a download, keeps what arrived, and resumes it with a Range request', async () => {
    slowChunk = 64 * 1024
    await installs.install(['base'])
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (events.some((event) => event.receivedBytes > 1_000_000)) {
          clearInterval(timer)
          resolve()
        }
      }, 5)
    })
    expect(installs.cancel('base')).toBe(true)
    const cancelled = await ended('base')
    expect(cancelled.stage).toBe('cancelled')
    expect(cancelled.error).toBeUndefined()
    const part = join(modelsDir, '.downloads', 'base.pt.part')
    const kept = statSync(part).size
    expect(kept).toBeGreaterThan(1_000_000)
    expect(kept).toBeLessThan(checkpoint.length)
    expect(existsSync(join(modelsDir, 'glide-base'))).toBe(false)

    slowChunk = null
    events = []
    requests.length = 0
    await installs.install(['base'])
    expect((await ended('base')).stage).toBe('done')
    expect(requests).toEqual([{ url: '/base.pt', range: `bytes=${kept}-` }])
    expect(existsSync(join(modelsDir, 'glide-base', 'model.json'))).toBe(true)
  })

  it('cancels during the conversion without leaving a folder, and resumes from the whole file', async () => {
    await installs.install(['base'])
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (events.some((event) => event.stage === 'converting')) {
          clearInterval(timer)
          resolve()
        }
      }, 0)
    })
    installs.cancel('base')
    expect((await ended('base')).stage).toBe('cancelled')
    expect(readdirSync(modelsDir)).toEqual(['.downloads'])
    expect(statSync(join(modelsDir, '.downloads', 'base.pt.part')).size).toBe(checkpoint.length)

    events = []
    requests.length = 0
    await installs.install(['base'])
    expect((await ended('base')).stage).toBe('done')
    // Only the check that nothing more is to come: the server answers 416 and sends no bytes.
    expect(requests).toEqual([{ url: '/base.pt', range: `bytes=${checkpoint.length}-` }])
  })

  it('refuses to start when the disk cannot hold the download and its conversion', async () => {
    const checkedDirs: string[] = []
    const fullDisk = new ModelInstalls({
      modelsDir: () => modelsDir,
      env,
      onProgress: (progress) => events.push(progress),
      freeBytes: (dir) => {
        checkedDirs.push(dir)
        return Promise.resolve(2e9)
      },
    })
    await fullDisk.install(['base'])
    const last = await ended('base')
    expect(last.stage).toBe('failed')
    expect(last.error).toEqual({
      code: 'DISK_FULL',
      message: `GLIDE (filtered) base, 64 px needs about 3.1 GB free in ${modelsDir} (the download and its conversion); 2.0 GB is free.`,
    })
    expect(checkedDirs).toEqual([modelsDir])
    expect(requests).toEqual([])
    fullDisk.dispose()
  })

  it('removes an installed model folder and says how much it freed', async () => {
    await installs.install(['base'])
    expect((await ended('base')).stage).toBe('done')
    const before = await installs.official()
    expect(before.folders).toHaveLength(1)
    const folder = before.folders[0]!
    expect(folder.id).toBe('glide-base')
    expect(folder.bytes).toBeGreaterThan(checkpoint.length / 2)

    expect(await installs.remove('glide-base')).toBe(folder.bytes)
    // Nothing is left, not even the renamed folder the deletion went through.
    expect(readdirSync(modelsDir)).toEqual(['.downloads'])
    const after = await installs.official()
    expect(after.folders).toEqual([])
    expect(after.models[0]?.installed).toBe(false)
  })

  it('refuses to remove what is not a model folder of the models folder', async () => {
    await expect(installs.remove('glide-base')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' })
    await expect(installs.remove('../outside')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    slowChunk = 64 * 1024
    await installs.install(['base'])
    await expect(installs.remove('glide-base')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'GLIDE (filtered) base, 64 px is being installed; cancel it first.',
    })
    installs.cancel('base')
    expect((await ended('base')).stage).toBe('cancelled')
  })

  it('drops a waiting install without fetching it', async () => {
    slowChunk = 256 * 1024
    await installs.install(['base', 'upsample'])
    expect(installs.cancel('upsample')).toBe(true)
    expect(installs.cancel('upsample')).toBe(false)
    expect((await ended('upsample')).stage).toBe('cancelled')
    expect((await ended('base')).stage).toBe('done')
    expect(requests.map((request) => request.url)).toEqual(['/base.pt'])
  })
})
