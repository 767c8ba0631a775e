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
    for (const ok of ['100', 'fast27', 'ddim25', '10,10,3,2,2', '27'])
      expect(zRespacing.safeParse(ok).success).toBe(true)
    for (const bad of ['', 'fast', '1e3', '10;rm', ' 100'])
      expect(zRespacing.safeParse(bad).success).toBe(false)
    expect(zSettingsPatch.safeParse({ modelsDir: '/tmp' }).success).toBe(false)
  })

  it('checks inpainting pixels against their declared size', () => {
    const rgba = Buffer.alloc(4 * 4 * 4).toString('base64')
    const keepMask = Buffer.alloc(4 * 4).toString('base64')
    const job = { kind: 'inpaint', settings, image: { width: 4, height: 4, rgba }, keepMask }
    expect(zJobInput.safeParse(job).success).toBe(true)
    expect(zJobInput.safeParse({ ...job, image: { width: 5, height: 4, rgba } }).success).toBe(
      false,
    )
    expect(
      zJobInput.safeParse({ ...job, keepMask: Buffer.alloc(3).toString('base64') }).success,
    ).toBe(false)
    expect(zJobInput.safeParse({ ...job, keepMask: '!!!!' }).success).toBe(false)
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
    expect(() => decodeWire('{"$bytes": 1}')).toThrow()
    expect(() => decodeWire('{"$bytes": "AA==", "extra": 1}')).toThrow()
  })
})
