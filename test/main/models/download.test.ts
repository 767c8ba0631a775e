import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { GlideError } from '../../../contract/errors'
import { downloadFile } from '../../../main/models/download'
import { modelBaseUrlEnv, officialModels } from '../../../main/models/officialModels'

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
})
