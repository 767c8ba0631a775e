import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  createGlideApi,
  eventNames,
  events,
  requestChannels,
  requests,
  type IpcResult,
} from '../../contract/ipc'
import { zJobInput, zRespacing } from '../../contract/jobs'
import { zSettingsPatch } from '../../contract/settings'
import { decodeWire, encodeWire } from '../../contract/wire'

const settings = {
  prompt: 'a corgi',
  guidanceScale: 3,
  baseRespacing: '100',
  upsampleRespacing: 'fast27',
  upsampleTemperature: 0.997,
  seed: 0xffffffff,
  batchSize: 1,
}

describe('IPC contract', () => {
  it('names every channel namespace.verb and declares strict inputs', () => {
    for (const channel of requestChannels) {
      expect(channel).toMatch(/^[a-z]+\.[a-zA-Z]+$/)
      const schema = requests[channel].input
      // Every input refuses a field it does not declare.
      expect(schema.safeParse({ __unexpected__: 1 }).success, channel).toBe(false)
    }
    expect(eventNames.sort()).toEqual([
      'host.status',
      'job.progress',
      'job.updated',
      'menu.command',
      'models.installProgress',
      'results.added',
      'results.removed',
    ])
    expect(events['menu.command'].safeParse({ command: 'rm -rf' }).success).toBe(false)
  })

  it('builds window.glide from the contract: one function per channel, events by name only', async () => {
    const calls: Array<[string, unknown]> = []
    const api = createGlideApi(
      (channel, input) => {
        calls.push([channel, input])
        return Promise.resolve({ ok: true, value: channel } satisfies IpcResult<unknown>)
      },
      () => () => undefined,
    )
    for (const channel of requestChannels) {
      const [namespace, verb] = channel.split('.') as [string, string]
      const group = (
        api as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>
      )[namespace]
      await expect(group?.[verb]?.({})).resolves.toEqual({ ok: true, value: channel })
    }
    expect(calls).toHaveLength(requestChannels.length)
    expect(() => api.subscribe('not.an.event' as never, () => undefined)).toThrow()
    expect(Object.keys(api).sort()).toEqual(
      [...new Set(requestChannels.map((c) => c.split('.')[0]))].concat('subscribe').sort(),
    )
  })

  it('accepts the notebook settings and refuses out-of-range ones', () => {
    expect(zJobInput.safeParse({ kind: 'generate', settings }).success).toBe(true)
    for (const bad of [
      { seed: 2 ** 32 },
      { seed: 1.5 },
      { batchSize: 0 },
      { guidanceScale: Number.NaN },
      { guidanceScale: Infinity },
      { prompt: 'x'.repeat(1001) },
      { modelId: '../../etc' },
    ]) {
      expect(
        zJobInput.safeParse({ kind: 'generate', settings: { ...settings, ...bad } }).success,
        JSON.stringify(bad),
      ).toBe(false)
    }
    for (const ok of [
      '100',
      'fast27',
      'ddim25',
      '10,10,3,2,2',
      '27',
      ' 100',
      '3,17+1',
      'fast27+2',
      '3,17+2-500',
      '3,17-499-500',
      '2-0',
    ])
      expect(zRespacing.safeParse(ok).success).toBe(true)
    for (const bad of [
      '',
      'fast',
      '1e3',
      '10;rm',
      '0',
      '10,0',
      'ddim0',
      '+1',
      '1+1',
      '20+0',
      '20+1+1',
      '20+999',
      '1-0',
      '20-',
      '20-5-5',
      '20-1+1',
      '20+1-12345',
    ])
      expect(zRespacing.safeParse(bad).success).toBe(false)
    expect(zSettingsPatch.safeParse({ modelsDir: '/tmp' }).success).toBe(false)
  })

  it('checks inpainting pixels against their declared size', () => {
    const rgba = new Uint8Array(4 * 4 * 4)
    const keepMask = new Uint8Array(4 * 4)
    const job = { kind: 'inpaint', settings, image: { width: 4, height: 4, rgba }, keepMask }
    expect(zJobInput.safeParse(job).success).toBe(true)
    expect(zJobInput.safeParse({ ...job, image: { width: 5, height: 4, rgba } }).success).toBe(
      false,
    )
    expect(zJobInput.safeParse({ ...job, keepMask: new Uint8Array(3) }).success).toBe(false)
    expect(zJobInput.safeParse({ ...job, keepMask: 'AAAA' }).success).toBe(false)
    const refine = { ...job, kind: 'refine', strength: 0.3 }
    expect(zJobInput.safeParse(refine).success).toBe(true)
    expect(zJobInput.safeParse({ ...refine, strength: 0 }).success).toBe(false)
  })

  it('carries bytes raw in the browser-mode wire format (no base64: the frame is barely larger)', () => {
    const pixels = new Uint8Array(1 << 20).map((_, index) => index % 251)
    const frame = encodeWire({ id: 1, channel: 'documents.openFile', input: { bytes: pixels } })
    expect(frame.byteLength).toBeLessThan(pixels.byteLength + 200)
    const decoded = decodeWire(frame) as { input: { bytes: Uint8Array } }
    expect(Buffer.from(decoded.input.bytes).equals(Buffer.from(pixels))).toBe(true)
    // Buffers (whose toJSON would spell every byte as a number) travel raw as well.
    expect(encodeWire({ b: Buffer.alloc(1000) }).byteLength).toBeLessThan(1100)
    // "__proto__" in a header stays a plain key.
    const sneaky = decodeWire(encodeWire(JSON.parse('{"__proto__":{"polluted":1}}'))) as object
    expect(Object.getPrototypeOf(sneaky)).toBe(Object.prototype)
  })

  it('round-trips bytes through the browser-mode wire format', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70_000 }), fc.string(), (bytes, text) => {
        const decoded = decodeWire(encodeWire({ bytes, text, nested: [{ bytes }] })) as {
          bytes: Uint8Array
          text: string
          nested: Array<{ bytes: Uint8Array }>
        }
        expect(decoded.bytes).toEqual(bytes)
        expect(decoded.nested[0]?.bytes).toEqual(bytes)
        expect(decoded.text).toBe(text)
      }),
      { seed: 3, numRuns: 50 },
    )
    const framed = (header: string, tail: number[] = []) => {
      const body = new TextEncoder().encode(header)
      const frame = new Uint8Array(4 + body.length + tail.length)
      new DataView(frame.buffer).setUint32(0, body.length, true)
      frame.set(body, 4)
      frame.set(tail, 4 + body.length)
      return frame
    }
    expect(decodeWire(framed('{"value":{"a":{"$bytes":0}},"blobs":[2]}', [7, 9]))).toEqual({
      a: new Uint8Array([7, 9]),
    })
    for (const bad of [
      framed('{"value":{"$bytes":1},"blobs":[1]}', [0]),
      framed('{"value":{"$bytes":0,"extra":1},"blobs":[1]}', [0]),
      framed('{"value":[{"$bytes":0},{"$bytes":0}],"blobs":[1]}', [0]),
      framed('{"value":1,"blobs":[1]}', [0]),
      framed('{"value":1,"blobs":[5]}', [0]),
      framed('{"value":1,"blobs":[]}', [0]),
      framed('{"blobs":[]}'),
      framed('not json'),
      new Uint8Array([255, 255, 255, 255, 1]),
      new Uint8Array([1]),
    ]) {
      expect(() => decodeWire(bad)).toThrow()
    }
  })

  it('refuses result ids that could name another file (they become file names in main)', () => {
    const read = requests['results.read'].input
    expect(read.safeParse({ id: '2026-12-07-110512-a-red-boat-4242-1' }).success).toBe(true)
    for (const id of [
      '../settings',
      'a/b',
      'a\\b',
      '.hidden',
      '-rf',
      'a.png',
      '',
      'x'.repeat(161),
    ]) {
      expect(read.safeParse({ id }).success, id).toBe(false)
    }
    const remove = requests['results.delete'].input
    expect(remove.safeParse({ ids: [] }).success).toBe(false)
    expect(remove.safeParse({ ids: ['ok-1', '../x'] }).success).toBe(false)
  })
})
