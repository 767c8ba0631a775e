import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { decodeWire, encodeWireParts } from '../../../contract/wire'
import { FrameSender, fragmentBytes } from '../../../main/server/frameSender'

let server: WebSocketServer
let serverSide: Promise<WebSocket>

beforeAll(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  serverSide = new Promise((resolve) => server.once('connection', resolve))
  await new Promise((resolve) => server.once('listening', resolve))
})

afterAll(async () => {
  for (const client of server.clients) client.terminate()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

describe('FrameSender', () => {
  it('streams a large message in fragments without copying it, in order with small ones', async () => {
    const { port } = server.address() as AddressInfo
    const client = new WebSocket(`ws://127.0.0.1:${port}`)
    const received: unknown[] = []
    const arrived = new Promise<void>((resolve) =>
      client.on('message', (data: Buffer) => {
        received.push(decodeWire(data))
        if (received.length === 3) resolve()
      }),
    )
    const sender = new FrameSender(await serverSide)
    const pixels = new Uint8Array(20 * fragmentBytes + 12345).map((_, index) => index % 253)
    // The parts are the header and the caller's own array: nothing copied into one big buffer.
    const parts = encodeWireParts({ image: { rgba: pixels } })
    expect(parts[1]).toBe(pixels)
    sender.send({ type: 'result', id: 1, image: { rgba: pixels } })
    sender.send({ type: 'event', event: 'small', payload: { n: 2 } })
    sender.send({ type: 'result', id: 3, bytes: new Uint8Array([1, 2, 3]) })
    expect(sender.pendingBytes).toBeGreaterThan(pixels.byteLength)
    await arrived
    const first = received[0] as { id: number; image: { rgba: Uint8Array } }
    expect(first.id).toBe(1)
    expect(Buffer.from(first.image.rgba).equals(Buffer.from(pixels))).toBe(true)
    expect(received[1]).toEqual({ type: 'event', event: 'small', payload: { n: 2 } })
    expect([...(received[2] as { bytes: Uint8Array }).bytes]).toEqual([1, 2, 3])
    await sender.flushed()
    client.close()
  })
})
