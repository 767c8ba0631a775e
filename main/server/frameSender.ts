import type { WebSocket } from 'ws'
import { encodeWireParts } from '../../contract/wire'

/** Large messages go out in fragments of this size… */
export const fragmentBytes = 1 << 20
/** …and the event loop gets a turn after every this many bytes of one message. */
const yieldEveryBytes = 8 << 20

/**
 * Sends contract messages to one socket, in order. A message is its wire parts (a header and the
 * raw blobs, never copied into one buffer); a large one is written as WebSocket fragments with a
 * pause for the event loop every few MiB, so a 192 MB picture never blocks other clients. The
 * browser reassembles the fragments into the one message it was.
 */
export class FrameSender {
  private queue: Promise<void> = Promise.resolve()
  private queuedBytes = 0

  constructor(private readonly ws: WebSocket) {}

  /** Bytes not yet handed to the socket plus what the socket has not sent yet. */
  get pendingBytes(): number {
    return this.queuedBytes + this.ws.bufferedAmount
  }

  send(value: unknown): void {
    const parts = encodeWireParts(value)
    const size = parts.reduce((total, part) => total + part.byteLength, 0)
    this.queuedBytes += size
    this.queue = this.queue
      .then(() => this.write(parts, size))
      .catch(() => undefined)
      .finally(() => {
        this.queuedBytes -= size
      })
  }

  /** Resolves when every message sent so far has been handed to the socket. */
  flushed(): Promise<void> {
    return this.queue
  }

  private async write(parts: Uint8Array[], size: number): Promise<void> {
    const ws = this.ws
    if (ws.readyState !== ws.OPEN) return
    if (size <= fragmentBytes) {
      const frame = new Uint8Array(size)
      let offset = 0
      for (const part of parts) {
        frame.set(part, offset)
        offset += part.byteLength
      }
      ws.send(frame, { binary: true })
      return
    }
    const fragments: Uint8Array[] = []
    for (const part of parts) {
      for (let offset = 0; offset < part.byteLength; offset += fragmentBytes) {
        fragments.push(part.subarray(offset, Math.min(part.byteLength, offset + fragmentBytes)))
      }
    }
    let sinceYield = 0
    for (const [index, fragment] of fragments.entries()) {
      if (ws.readyState !== ws.OPEN) return
      ws.send(fragment, { binary: true, fin: index === fragments.length - 1 })
      sinceYield += fragment.byteLength
      if (sinceYield >= yieldEveryBytes && index < fragments.length - 1) {
        sinceYield = 0
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
  }
}
