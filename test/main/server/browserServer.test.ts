import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { decodeWire, encodeWire } from '../../../contract/wire'
import { InferenceHostClient } from '../../../main/inference/client/hostClient'
import { createServices } from '../../../main/ipc/services'
import {
  sessionCookieName,
  startBrowserServer,
  type BrowserServer,
} from '../../../main/server/browserServer'
import { SettingsStore } from '../../../main/settings/settingsStore'

let server: BrowserServer
let cookie: string

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        headers: { host: `127.0.0.1:${server.port}`, ...headers },
      },
      (res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => (body += chunk.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

function connect(headers: Record<string, string>, query = ''): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws${query}`, { headers })
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

function nextFrame(
  ws: WebSocket,
): Promise<{ type: string; id: number; result: { ok: boolean; error?: { code: string } } }> {
  return new Promise((resolve) =>
    ws.once('message', (data: Buffer) => resolve(decodeWire(data) as never)),
  )
}

beforeAll(async () => {
  const staticDir = mkdtempSync(join(tmpdir(), 'glide-static-'))
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Glide Studio</title>')
  mkdirSync(join(staticDir, 'assets'))
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)')
  writeFileSync(join(tmpdir(), 'glide-secret.txt'), 'secret')
  const settings = await SettingsStore.open(mkdtempSync(join(tmpdir(), 'glide-server-')))
  const host = new InferenceHostClient(() => {
    throw new Error('no host in server tests')
  })
  const services = createServices({
    mode: 'browser',
    version: '0.0.0',
    settings,
    host,
    models: { list: () => Promise.resolve([]) },
    emit: () => undefined,
  })
  server = await startBrowserServer({ handlers: services.handlers, staticDir })
  cookie = `${sessionCookieName(server.port)}=${server.token}`
})

afterAll(async () => {
  await server.close()
})

describe('browser mode server', () => {
  it('prints a loopback URL carrying the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`)
    expect(server.token.length).toBeGreaterThanOrEqual(32)
  })

  it('refuses pages without the token, or with a wrong one', async () => {
    expect((await get('/')).status).toBe(403)
    expect((await get('/assets/app.js')).status).toBe(403)
    expect((await get('/?token=wrong')).status).toBe(403)
    expect((await get('/', { cookie: `${sessionCookieName(server.port)}=wrong` })).status).toBe(403)
  })

  it('trades the token for a cookie, then serves the renderer with its CSP', async () => {
    const landing = await get(`/?token=${server.token}`)
    expect(landing.status).toBe(303)
    expect(landing.headers.location).toBe('/')
    // No open redirect (issue 17, item 9): "/.//evil.com/" must not become "//evil.com/".
    for (const path of ['/.//evil.com/', '//evil.com/', '/\\evil.com/']) {
      const redirected = await get(`${path}?token=${server.token}`)
      expect(redirected.headers.location).toMatch(/^\/(?![/\\])/)
    }
    expect(String(landing.headers['set-cookie'])).toContain('HttpOnly')
    const page = await get('/', { cookie })
    expect(page.status).toBe(200)
    expect(page.body).toContain('Glide Studio')
    expect(page.headers['content-security-policy']).toContain("script-src 'self'")
    expect(page.headers['content-security-policy']).not.toContain('unsafe-inline')
    expect((await get('/assets/app.js', { cookie })).headers['content-type']).toContain(
      'javascript',
    )
  })

  it('refuses a foreign Origin or Host even with the cookie', async () => {
    expect((await get('/', { cookie, origin: 'http://evil.example' })).status).toBe(403)
    expect((await get('/', { cookie, host: 'evil.example' })).status).toBe(403)
    expect((await get('/', { cookie, host: `evil.example:${server.port}` })).status).toBe(403)
    expect((await get('/', { cookie, origin: `http://127.0.0.1:${server.port}` })).status).toBe(200)
  })

  it('serves nothing outside the renderer folder', async () => {
    for (const path of [
      '/../glide-secret.txt',
      '/%2e%2e/glide-secret.txt',
      '/assets/..%2f..%2fglide-secret.txt',
      '/%00',
    ]) {
      const reply = await get(path, { cookie })
      expect(reply.status).toBe(404)
      expect(reply.body).not.toContain('secret')
    }
  })

  it('refuses WebSockets without the token or with a foreign or missing Origin', async () => {
    const origin = `http://127.0.0.1:${server.port}`
    await expect(connect({ origin })).rejects.toThrow('403')
    await expect(connect({ origin: 'http://evil.example', cookie })).rejects.toThrow('403')
    await expect(connect({ cookie })).rejects.toThrow('403')
    await expect(connect({ origin, cookie, host: 'evil.example' })).rejects.toThrow('403')
    const ws = await connect({ origin }, `?token=${server.token}`)
    ws.close()
  })

  it('answers requests over the socket and survives malformed frames', async () => {
    const ws = await connect({ origin: `http://127.0.0.1:${server.port}`, cookie })
    const text = (value: string) => Buffer.from(value, 'utf8')
    const framed = (header: string) => {
      const body = text(header)
      const frame = Buffer.alloc(4 + body.length)
      frame.writeUInt32LE(body.length, 0)
      body.copy(frame, 4)
      return frame
    }
    for (const bad of [
      'not json',
      '{"id":1}',
      // a text frame, even a well-formed request: only binary frames are requests
      JSON.stringify({ id: 2, channel: 'app.ping', input: { sentAt: 1 } }),
      encodeWire({ id: 2, channel: 'nope', input: {} }),
      text('not json'),
      framed('{"value":{"$bytes":5},"blobs":[]}'),
      framed('{"value":{"id":1},"blobs":[9]}'),
      Buffer.from([1, 2]),
    ]) {
      ws.send(bad)
      const frame = await nextFrame(ws)
      expect(frame.result.ok).toBe(false)
      expect(['INVALID_PAYLOAD', 'UNKNOWN_CHANNEL']).toContain(frame.result.error?.code)
    }
    ws.send(encodeWire({ id: 3, channel: 'app.ping', input: { sentAt: 1 } }))
    const pong = await nextFrame(ws)
    expect(pong).toMatchObject({
      type: 'result',
      id: 3,
      result: { ok: true, value: { sentAt: 1 } },
    })
    ws.close()
  })

  it('unmasks what pages send with native code (bufferutil), not a JavaScript byte loop', () => {
    // Pages mask every frame they send; ws's JavaScript fallback unmasks a 26 MB photo in about
    // 160 ms on this machine, all of it on the server's event loop (issue 17, item 4).
    const wsRequire = createRequire(createRequire(import.meta.url).resolve('ws'))
    const bufferUtil = wsRequire('./lib/buffer-util.js') as {
      unmask(buffer: Buffer, mask: Buffer): void
    }
    expect(String(bufferUtil.unmask)).toMatch(/bufferUtil\.unmask|websocketUnmask/)
    const data = Buffer.from([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
      27, 28, 29, 30, 31, 32, 33,
    ])
    bufferUtil.unmask(data, Buffer.from([1, 1, 1, 1]))
    expect(data[0]).toBe(0)
    expect(data[32]).toBe(32)
  })
})
