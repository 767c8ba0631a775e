import { GlideError } from '../../../contract/errors'
import {
  createGlideApi,
  isEventName,
  type EventName,
  type GlideApi,
  type IpcResult,
  type SocketServerFrame,
} from '../../../contract/ipc'
import { decodeWire, encodeWire } from '../../../contract/wire'

/**
 * Browser mode's `window.glide`: the same API as the Electron preload, over a WebSocket back to
 * the page's own server. The session cookie set when the page loaded authenticates the socket.
 * Every message is one binary frame (contract/wire.ts): pixels and files travel as raw bytes.
 */
export function createSocketBridge(url: string): GlideApi {
  const socket = new WebSocket(url)
  socket.binaryType = 'arraybuffer'
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true })
    socket.addEventListener('error', () => reject(new Error('WebSocket failed')), { once: true })
  })
  const pending = new Map<number, (result: IpcResult<unknown>) => void>()
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>()
  let nextId = 1

  socket.addEventListener('message', (message: MessageEvent<unknown>) => {
    if (!(message.data instanceof ArrayBuffer)) return
    let frame: SocketServerFrame
    try {
      frame = decodeWire(new Uint8Array(message.data)) as SocketServerFrame
    } catch {
      return
    }
    if (frame.type === 'result') {
      pending.get(frame.id)?.(frame.result)
      pending.delete(frame.id)
    } else if (frame.type === 'event' && isEventName(frame.event)) {
      for (const listener of listeners.get(frame.event) ?? []) listener(frame.payload)
    }
  })
  socket.addEventListener('close', () => {
    const lost = new GlideError(
      'INTERNAL',
      'The connection to Glide Studio was lost; reload the page.',
    )
    for (const resolve of pending.values()) resolve({ ok: false, error: lost.toJSON() })
    pending.clear()
  })

  return createGlideApi(
    async (channel, input) => {
      try {
        await opened
      } catch {
        return {
          ok: false,
          error: { code: 'INTERNAL', message: 'Could not connect to Glide Studio.' },
        }
      }
      const id = nextId++
      const result = new Promise<IpcResult<unknown>>((resolve) => pending.set(id, resolve))
      socket.send(encodeWire({ id, channel, input }))
      return result
    },
    (event, listener) => {
      let set = listeners.get(event)
      if (!set) listeners.set(event, (set = new Set()))
      set.add(listener)
      return () => set.delete(listener)
    },
  )
}
