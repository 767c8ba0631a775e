import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { GlideError } from '../../../contract/errors'
import type { ModelManifest } from '../../../contract/model'
import { downloadFile, redirectRefusal } from '../../../main/models/download'
import {
  fetchedFromRecord,
  isOfficialManifest,
  modelBaseUrlEnv,
  officialDownloadChecks,
  officialModels,
} from '../../../main/models/officialModels'
import { baseManifest } from './manifestFixtures'

const payload = randomBytes(300_000)
const payloadSha256 = createHash('sha256').update(payload).digest('hex')

type Behaviour = 'normal' | 'drop-first' | 'ignore-range' | 'wrong-range'

/** A file server on 127.0.0.1 with Range support and a few misbehaviours; records headers. */
class TestServer {
  readonly requests: IncomingHttpHeaders[] = []
  readonly paths: string[] = []
  behaviour: Behaviour = 'normal'
  /** Requests for the file so far; misbehaviours apply to the first. */
  served = 0
  private readonly server: Server

  constructor() {
    this.server = createServer((request, response) => {
      this.requests.push(request.headers)
      this.paths.push(request.url ?? '')
      const path = request.url ?? '/'
      const hop = /^\/hop(\d+)$/.exec(path)
      if (hop) {
        const remaining = Number(hop[1])
        response.writeHead(302, { location: remaining > 0 ? `/hop${remaining - 1}` : '/file.bin' })
        response.end()
        return
      }
      const away = /^\/away-to-(\d+)$/.exec(path)
      if (away) {
        response.writeHead(302, { location: `http://127.0.0.1:${away[1]}/file.bin` })
        response.end()
        return
      }
      if (path === '/unsized.bin') {
        // No Content-Length: only the bytes themselves show how large the file is.
        response.writeHead(200)
        response.end(payload)
        return
      }
      if (path === '/to-ftp') {
        response.writeHead(301, { location: 'ftp://127.0.0.1/file.bin' })
        response.end()
        return
      }
      if (path !== '/file.bin' && path !== '/base.pt') {
        response.writeHead(404)
        response.end('not found')
        return
      }
      this.served += 1
      const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '')
      if (range && this.behaviour !== 'ignore-range') {
        const start = Number(range[1])
        if (start >= payload.length) {
          response.writeHead(416, { 'content-range': `bytes */${payload.length}` })
          response.end()
          return
        }
        const claimed = this.behaviour === 'wrong-range' && this.served === 1 ? start + 7 : start
        response.writeHead(206, {
          'content-range': `bytes ${claimed}-${payload.length - 1}/${payload.length}`,
          'content-length': payload.length - claimed,
        })
        response.end(payload.subarray(claimed))
        return
      }
      response.writeHead(200, { 'content-length': payload.length })
      if (this.behaviour === 'drop-first' && this.served === 1) {
        response.write(payload.subarray(0, 120_000), () => {
          setTimeout(() => response.socket?.destroy(), 20)
        })
        return
      }
      response.end(payload)
    })
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

let server: TestServer
let baseUrl: string
let workDir: string
beforeAll(async () => {
  server = new TestServer()
  baseUrl = await server.start()
})
afterAll(() => server.stop())
beforeEach(() => {
  workDir = mkdtempSync(join(tmpdir(), 'download-'))
  server.requests.length = 0
  server.paths.length = 0
  server.behaviour = 'normal'
  server.served = 0
})
afterEach(() => rmSync(workDir, { recursive: true, force: true }))

async function failure(promise: Promise<unknown>): Promise<GlideError> {
  const error = await promise.then(
    () => new Error('the download succeeded'),
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(GlideError)
  return error as GlideError
}

describe('downloadFile', () => {
  it('downloads, reports progress, hashes and renames into place', async () => {
    const dest = join(workDir, 'file.bin')
    const progress: Array<[number, number | undefined]> = []
    const result = await downloadFile(`${baseUrl}/file.bin`, dest, {
      onProgress: (received, total) => progress.push([received, total]),
      expectedSha256: payloadSha256,
    })
    expect(result).toEqual({
      path: dest,
      sha256: payloadSha256,
      bytes: payload.length,
      resumed: false,
    })
    expect(readFileSync(dest).equals(payload)).toBe(true)
    expect(existsSync(`${dest}.part`)).toBe(false)
    expect(progress.at(-1)).toEqual([payload.length, payload.length])
    const received = progress.map(([bytes]) => bytes)
    expect(received).toEqual([...received].sort((a, b) => a - b))
  })

  it('keeps the .part when the connection drops and resumes it with a Range request', async () => {
    server.behaviour = 'drop-first'
    const dest = join(workDir, 'file.bin')
    const first = await failure(downloadFile(`${baseUrl}/file.bin`, dest))
    expect(first.code).toBe('DOWNLOAD_FAILED')
    expect(existsSync(dest)).toBe(false)
    const kept = readFileSync(`${dest}.part`)
    expect(kept.length).toBeGreaterThan(0)
    expect(kept.length).toBeLessThan(payload.length)
    expect(kept.equals(payload.subarray(0, kept.length))).toBe(true)

    const second = await downloadFile(`${baseUrl}/file.bin`, dest, {
      expectedSha256: payloadSha256,
    })
    expect(server.requests.at(-1)?.range).toBe(`bytes=${kept.length}-`)
    expect(second.resumed).toBe(true)
    expect(second.sha256).toBe(payloadSha256)
    expect(readFileSync(dest).equals(payload)).toBe(true)
    expect(existsSync(`${dest}.part`)).toBe(false)
  })

  it('restarts cleanly when the server answers a Range request with 200', async () => {
    server.behaviour = 'ignore-range'
    const dest = join(workDir, 'file.bin')
    writeFileSync(`${dest}.part`, Buffer.from('stale bytes that are not the file'))
    const result = await downloadFile(`${baseUrl}/file.bin`, dest, {
      expectedSha256: payloadSha256,
    })
    expect(server.requests[0]?.range).toBe('bytes=33-')
    expect(result.sha256).toBe(payloadSha256)
    expect(readFileSync(dest).equals(payload)).toBe(true)
  })

  it('restarts when a 206 starts somewhere other than where the .part ends', async () => {
    server.behaviour = 'wrong-range'
    const dest = join(workDir, 'file.bin')
    writeFileSync(`${dest}.part`, payload.subarray(0, 1000))
    const result = await downloadFile(`${baseUrl}/file.bin`, dest)
    expect(server.requests.map((headers) => headers.range)).toEqual(['bytes=1000-', undefined])
    expect(result.sha256).toBe(payloadSha256)
  })

  it('finishes a .part that is already complete when the server answers 416', async () => {
    const dest = join(workDir, 'file.bin')
    writeFileSync(`${dest}.part`, payload)
    const result = await downloadFile(`${baseUrl}/file.bin`, dest, {
      expectedSha256: payloadSha256,
    })
    expect(result.bytes).toBe(payload.length)
    expect(readFileSync(dest).equals(payload)).toBe(true)
  })

  it('starts over when the .part is longer than the file (416 with another size)', async () => {
    const dest = join(workDir, 'file.bin')
    writeFileSync(`${dest}.part`, Buffer.concat([payload, Buffer.from('extra')]))
    const result = await downloadFile(`${baseUrl}/file.bin`, dest)
    expect(result.sha256).toBe(payloadSha256)
    expect(server.requests.map((headers) => headers.range)).toEqual([
      `bytes=${payload.length + 5}-`,
      undefined,
    ])
  })

  it('fails with DOWNLOAD_FAILED on 404, leaving nothing behind', async () => {
    const dest = join(workDir, 'missing.bin')
    const error = await failure(downloadFile(`${baseUrl}/missing.bin`, dest))
    expect(error.code).toBe('DOWNLOAD_FAILED')
    expect(error.message).toContain('404')
    expect(existsSync(dest)).toBe(false)
  })

  it('follows up to five redirects, refuses a sixth and non-http schemes', async () => {
    const dest = join(workDir, 'file.bin')
    await downloadFile(`${baseUrl}/hop4`, dest, { expectedSha256: payloadSha256 })
    expect(server.paths).toEqual(['/hop4', '/hop3', '/hop2', '/hop1', '/hop0', '/file.bin'])
    expect((await failure(downloadFile(`${baseUrl}/hop5`, join(workDir, 'b')))).message).toContain(
      'Too many redirects',
    )
    expect(
      (await failure(downloadFile(`${baseUrl}/to-ftp`, join(workDir, 'c')))).message,
    ).toContain('ftp:')
  })

  it('deletes a download whose hash is wrong (INTEGRITY_MISMATCH)', async () => {
    const dest = join(workDir, 'file.bin')
    const error = await failure(
      downloadFile(`${baseUrl}/file.bin`, dest, { expectedSha256: '0'.repeat(64) }),
    )
    expect(error.code).toBe('INTEGRITY_MISMATCH')
    expect(existsSync(dest)).toBe(false)
    expect(existsSync(`${dest}.part`)).toBe(false)
  })

  it.runIf(process.platform === 'linux' && existsSync('/dev/full'))(
    'reports a full disk as DISK_FULL',
    async () => {
      const dest = join(workDir, 'file.bin')
      symlinkSync('/dev/full', `${dest}.part`)
      const error = await failure(downloadFile(`${baseUrl}/file.bin`, dest))
      expect(error.code).toBe('DISK_FULL')
    },
  )

  it('stops with CANCELLED when aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    const error = await failure(
      downloadFile(`${baseUrl}/file.bin`, join(workDir, 'file.bin'), { signal: controller.signal }),
    )
    expect(error.code).toBe('CANCELLED')
  })

  it('reports an unreachable host as DOWNLOAD_FAILED', async () => {
    const error = await failure(downloadFile('http://127.0.0.1:1/file.bin', join(workDir, 'x')))
    expect(error.code).toBe('DOWNLOAD_FAILED')
  })
})

describe('downloadFile limits', () => {
  it('follows a redirect only to an allowed origin, and never from https to http', async () => {
    const other = new TestServer()
    const otherUrl = await other.start()
    const otherPort = new URL(otherUrl).port
    try {
      const dest = join(workDir, 'file.bin')
      const refused = await failure(downloadFile(`${baseUrl}/away-to-${otherPort}`, dest))
      expect(refused.code).toBe('DOWNLOAD_FAILED')
      expect(refused.message).toContain(`${otherUrl} is not ${baseUrl}`)
      expect(other.paths).toEqual([])
      expect(existsSync(`${dest}.part`)).toBe(false)

      await downloadFile(`${baseUrl}/away-to-${otherPort}`, dest, {
        redirectOrigins: [baseUrl, otherUrl],
        expectedSha256: payloadSha256,
      })
      expect(other.paths).toEqual(['/file.bin'])
    } finally {
      await other.stop()
    }
    const official = 'https://openaipublic.blob.core.windows.net'
    expect(
      redirectRefusal(
        new URL(`${official}/a.pt`),
        new URL('http://openaipublic.blob.core.windows.net/a.pt'),
        [official, 'http://openaipublic.blob.core.windows.net'],
      ),
    ).toBe('it leaves https for http')
    expect(
      redirectRefusal(new URL(`${official}/a.pt`), new URL('https://evil.example/a.pt'), [
        official,
      ]),
    ).toBe('https://evil.example is not https://openaipublic.blob.core.windows.net')
    expect(
      redirectRefusal(new URL(`${official}/a.pt`), new URL(`${official}/b.pt`), [official]),
    ).toBeUndefined()
  })

  it('refuses a file whose declared size is over the cap before writing anything', async () => {
    const dest = join(workDir, 'file.bin')
    const error = await failure(
      downloadFile(`${baseUrl}/file.bin`, dest, { maxBytes: payload.length - 1 }),
    )
    expect(error.code).toBe('DOWNLOAD_FAILED')
    expect(error.message).toMatch(/is 1 MB, more than the 1 MB expected; the download was stopped/)
    expect(existsSync(`${dest}.part`)).toBe(false)
    expect(existsSync(dest)).toBe(false)
  })

  it('stops and deletes a download of unstated size that goes past the cap', async () => {
    const dest = join(workDir, 'file.bin')
    const error = await failure(downloadFile(`${baseUrl}/unsized.bin`, dest, { maxBytes: 100_000 }))
    expect(error.code).toBe('DOWNLOAD_FAILED')
    expect(error.message).toContain('goes on past that')
    expect(existsSync(`${dest}.part`)).toBe(false)
    // Within the cap the same file downloads.
    const result = await downloadFile(`${baseUrl}/unsized.bin`, dest, {
      maxBytes: payload.length,
    })
    expect(result.sha256).toBe(payloadSha256)
  })

  it('starts over when a kept .part is already larger than the cap', async () => {
    const dest = join(workDir, 'file.bin')
    writeFileSync(`${dest}.part`, Buffer.alloc(payload.length + 10))
    const result = await downloadFile(`${baseUrl}/file.bin`, dest, { maxBytes: payload.length })
    expect(result).toMatchObject({ sha256: payloadSha256, resumed: false })
    expect(server.requests.every((headers) => headers.range === undefined)).toBe(true)
  })

  it('deletes the .part and says DISK_FULL when the disk fills up mid-download', async () => {
    // Test seam: the .part's handle writes 100 KB, then fails as a full disk does (ENOSPC).
    const dest = join(workDir, 'file.bin')
    let written = 0
    const error = await failure(
      downloadFile(`${baseUrl}/file.bin`, dest, {
        async openPart(path, flags) {
          const handle = await open(path, flags)
          const write = handle.write.bind(handle) as (
            buffer: Buffer,
            offset: number,
            length: number,
            position: number,
          ) => Promise<{ bytesWritten: number; buffer: Buffer }>
          return new Proxy(handle, {
            get(target, property) {
              if (property === 'write') {
                return async (buffer: Buffer, offset: number, length: number, position: number) => {
                  if (written + length > 100_000) {
                    throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
                      code: 'ENOSPC',
                      syscall: 'write',
                    })
                  }
                  written += length
                  return write(buffer, offset, length, position)
                }
              }
              const value: unknown = Reflect.get(target, property)
              return typeof value === 'function' ? value.bind(target) : value
            },
          })
        },
      }),
    )
    expect(written).toBeGreaterThan(0)
    expect(error.code).toBe('DISK_FULL')
    expect(error.message).toContain('The disk is full')
    expect(error.message).toContain('The file needs 1 MB')
    expect(error.message).toContain('partial download was deleted')
    expect(existsSync(`${dest}.part`)).toBe(false)
    expect(existsSync(dest)).toBe(false)
  })
})

describe('officialModels', () => {
  it('lists the six released checkpoints with their tensors adding up to their parameter counts', () => {
    const models = officialModels({})
    expect(models.map((model) => model.kind)).toEqual([
      'base',
      'upsample',
      'base-inpaint',
      'upsample-inpaint',
      'clip-image',
      'clip-text',
    ])
    for (const model of models) {
      expect(model.url).toBe(
        `https://openaipublic.blob.core.windows.net/diffusion/dec-2021/${model.fileName}`,
      )
      const params = model.tensors.reduce(
        (sum, tensor) => sum + tensor.shape.reduce((a, b) => a * b, 1),
        0,
      )
      expect(params).toBe(model.params)
      expect(Boolean(model.options) !== Boolean(model.clipConfig)).toBe(true)
    }
    expect(models[0]!.tensors[0]).toEqual({ name: 'positional_embedding', shape: [128, 512] })
    expect(models[0]!.options?.num_channels).toBe(192)
  })

  it('points the list at GLIDE_STUDIO_MODEL_BASE_URL, which downloadFile can fetch', async () => {
    const base = officialModels({ [modelBaseUrlEnv]: `${baseUrl}/` })[0]!
    expect(base.url).toBe(`${baseUrl}/base.pt`)
    const result = await downloadFile(base.url, join(workDir, base.fileName))
    expect(result.sha256).toBe(payloadSha256)
  })

  it('caps each download at its float32 weights plus a small allowance, and allows the mirror', () => {
    const mirror = `${baseUrl}/mirror/`
    for (const model of officialModels({ [modelBaseUrlEnv]: mirror })) {
      expect(model.maxBytes).toBeGreaterThan(model.params * 4)
      expect(model.maxBytes).toBeLessThan(model.params * 4 * 1.02 + 17 * 1024 * 1024)
      expect(officialDownloadChecks(model, { [modelBaseUrlEnv]: mirror })).toEqual({
        maxBytes: model.maxBytes,
        redirectOrigins: ['https://openaipublic.blob.core.windows.net', baseUrl],
      })
    }
    const base = officialModels({})[0]!
    expect(officialDownloadChecks(base, {}).redirectOrigins).toEqual([
      'https://openaipublic.blob.core.windows.net',
    ])
    // base.pt holds 385 M float32 parameters: about 1.54 GB, capped near 1.57 GB.
    expect(Math.round(base.maxBytes / 1e7) / 100).toBe(1.57)
  })

  it('calls a model official for its recorded download from the list, never for its id', () => {
    const base = officialModels({})[0]!
    const named = baseManifest({ id: 'glide-base' })
    expect(isOfficialManifest(named)).toBe(false)
    const fetched: ModelManifest = {
      ...named,
      source: { ...named.source, fetchedFrom: fetchedFromRecord(base) },
    }
    expect(isOfficialManifest(fetched)).toBe(true)
    expect(isOfficialManifest({ ...fetched, id: 'my-own-name' })).toBe(true)
    const upsample = officialModels({})[1]!
    expect(
      isOfficialManifest({
        ...named,
        source: { ...named.source, fetchedFrom: fetchedFromRecord(upsample) },
      }),
    ).toBe(false)
  })
})
