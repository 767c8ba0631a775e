import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import {
  zSocketClientFrame,
  type EventName,
  type EventPayload,
  type SocketServerFrame,
} from '../../contract/ipc'
import { decodeWire } from '../../contract/wire'
import { createRouter } from '../ipc/router'
import type { Handlers } from '../ipc/services'
import { mimeType, securityHeaders } from './csp'
import { FrameSender } from './frameSender'
import { readStaticFile } from './staticFiles'

export interface BrowserServerOptions {
  handlers: Handlers
  /** The built renderer (out/renderer). */
  staticDir: string
  /** 0 picks a free port. */
  port?: number
  token?: string
  /**
   * Handlers bound to one page (one WebSocket connection): document services use the client id to
   * tell whose recovery copies and save paths are whose. Called once per connection.
   */
  clientHandlers?: (clientId: string) => Partial<Handlers>
  /** A page went away (reload, closed tab): its documents' recovery copies may now be offered. */
  onClientClosed?: (clientId: string) => void
}

export interface BrowserServer {
  /** The URL to open, with the session token. */
  readonly url: string
  readonly port: number
  readonly token: string
  broadcast<E extends EventName>(event: E, payload: EventPayload<E>): void
  close(): Promise<void>
}

/** Cookies ignore ports, so each server names its own: two instances on one host do not clash. */
export function sessionCookieName(port: number): string {
  return `glide_session_${port}`
}
/** Big enough for a document with full-size layers (contract/documents caps images at 128 MiB). */
const maxFrameBytes = 192 * 1024 * 1024
/** Progress events are skipped for a client that has this much unsent; state changes never are. */
const slowClientBytes = 16 * 1024 * 1024

/** The bytes of a received message, whatever shape ws delivered them in. */
function frameBytes(data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data
}

function sameToken(expected: string, given: string | null | undefined): boolean {
  if (!given) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

function cookieValue(request: IncomingMessage, name: string): string | null {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) return rest.join('=')
  }
  return null
}

/**
 * Browser mode: serves the renderer on 127.0.0.1 and carries the contract over a WebSocket to the
 * same handlers the desktop app uses. A request must name this server as its Host (no DNS
 * rebinding), carry no foreign Origin, and hold the session token (query once, then a cookie).
 */
export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const token = options.token ?? randomBytes(24).toString('base64url')
  const sockets = new Map<WebSocket, FrameSender>()
  const routeFor = (clientId: string) =>
    createRouter<{ authenticated: boolean }>(
      { ...options.handlers, ...options.clientHandlers?.(clientId) },
      (sender) => sender.authenticated,
    )
  let port = 0
  const allowedHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`]
  const allowedOrigins = () => allowedHosts().map((host) => `http://${host}`)

  const hostAndOriginAllowed = (request: IncomingMessage, originRequired: boolean): boolean => {
    if (!allowedHosts().includes(request.headers.host ?? '')) return false
    const origin = request.headers.origin
    if (origin === undefined) return !originRequired
    return allowedOrigins().includes(origin)
  }

  const refuse = (response: ServerResponse, status: number, text: string) => {
    response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...securityHeaders })
    response.end(text)
  }

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1')
      if (!hostAndOriginAllowed(request, false)) return refuse(response, 403, 'Forbidden')
      if (request.method !== 'GET' && request.method !== 'HEAD')
        return refuse(response, 405, 'Method not allowed')
      const queryToken = url.searchParams.get('token')
      if (sameToken(token, queryToken)) {
        // Trade the token in the URL for a cookie, and drop it from the address bar and history.
        response.writeHead(303, {
          // One leading slash only: "//host/" would send the browser to another site.
          Location: `/${url.pathname.replace(/^[/\\]+/, '')}`,
          'Set-Cookie': `${sessionCookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`,
          ...securityHeaders,
        })
        return response.end()
      }
      if (!sameToken(token, cookieValue(request, sessionCookieName(port))))
        return refuse(response, 403, 'Forbidden')
      const file = await readStaticFile(options.staticDir, url.pathname)
      if (!file) return refuse(response, 404, 'Not found')
      response.writeHead(200, { 'Content-Type': mimeType(file.path), ...securityHeaders })
      response.end(request.method === 'HEAD' ? undefined : file.body)
    })().catch(() => refuse(response, 500, 'Internal error'))
  })

  const webSockets = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes })

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    const authorised =
      url.pathname === '/ws' &&
      hostAndOriginAllowed(request, true) &&
      (sameToken(token, cookieValue(request, sessionCookieName(port))) ||
        sameToken(token, url.searchParams.get('token')))
    if (!authorised) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    webSockets.handleUpgrade(request, socket, head, (ws) => accept(ws))
  })

  const send = (ws: WebSocket, frame: SocketServerFrame) => {
    sockets.get(ws)?.send(frame)
  }

  const accept = (ws: WebSocket) => {
    const clientId = `client-${randomBytes(12).toString('base64url')}`
    const route = routeFor(clientId)
    sockets.set(ws, new FrameSender(ws))
    ws.on('close', () => {
      sockets.delete(ws)
      options.onClientClosed?.(clientId)
    })
    ws.on('error', () => ws.terminate())
    ws.on('message', (data, isBinary) => {
      void (async () => {
        let id = -1
        try {
          if (!isBinary) throw new Error('requests are binary frames (contract/wire.ts)')
          const frame = zSocketClientFrame.parse(decodeWire(frameBytes(data)))
          id = frame.id
          send(ws, {
            type: 'result',
            id,
            result: await route(frame.channel, frame.input, { authenticated: true }),
          })
        } catch {
          send(ws, {
            type: 'result',
            id,
            result: {
              ok: false,
              error: { code: 'INVALID_PAYLOAD', message: 'The frame is not a request.' },
            },
          })
        }
      })()
    })
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  port = (server.address() as AddressInfo).port

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    broadcast(event, payload) {
      for (const [ws, sender] of sockets) {
        if (event === 'job.progress' && sender.pendingBytes > slowClientBytes) continue
        send(ws, { type: 'event', event, payload })
      }
    },
    async close() {
      for (const ws of sockets.keys()) ws.terminate()
      webSockets.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
