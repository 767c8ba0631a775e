import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { errorCodes } from '../../../contract/errors'
import { requestChannels, requests } from '../../../contract/ipc'
import { limits } from '../../../contract/jobs'
import { InferenceHostClient } from '../../../main/inference/client/hostClient'
import { createRouter, type Route } from '../../../main/ipc/router'
import { isAppSender, type SenderFrame } from '../../../main/ipc/senderGuard'
import { createServices, type Handlers } from '../../../main/ipc/services'
import { SettingsStore } from '../../../main/settings/settingsStore'

const appFrame: SenderFrame = { url: 'app://glide/index.html', parent: null }

let handlers: Handlers
let route: Route<SenderFrame | null>

beforeAll(async () => {
  const settings = await SettingsStore.open(mkdtempSync(join(tmpdir(), 'glide-router-')))
  // No job may reach a host here: the registry is empty, so every submit fails in main.
  const host = new InferenceHostClient(() => {
    throw new Error('no host in router tests')
  })
  const services = createServices({
    mode: 'desktop',
    version: '0.0.0',
    settings,
    host,
    models: { list: () => Promise.resolve([]) },
    emit: () => undefined,
  })
  handlers = services.handlers
  route = createRouter(handlers, isAppSender)
})

const validSettings = {
  prompt: 'a corgi',
  guidanceScale: 3,
  baseRespacing: '100',
  upsampleRespacing: 'fast27',
  upsampleTemperature: 0.997,
  seed: 1,
  batchSize: 1,
}

function expectTypedError(result: unknown, code?: string): void {
  expect(result).toMatchObject({ ok: false })
  const error = (result as { error: { code: string; message: string } }).error
  expect(errorCodes).toContain(error.code)
  expect(typeof error.message).toBe('string')
  expect(error.message.length).toBeLessThanOrEqual(4000)
  if (code) expect(error.code).toBe(code)
}

describe('IPC router', () => {
  it('answers a valid request', async () => {
    const result = await route('app.ping', { sentAt: 5 }, appFrame)
    expect(result).toMatchObject({ ok: true, value: { sentAt: 5 } })
  })

  it('refuses unknown channels with UNKNOWN_CHANNEL', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.constantFrom('__proto__', 'constructor', 'toString', 'jobs', 'jobs.'),
        ),
        fc.anything(),
        async (channel, input) => {
          fc.pre(!(requestChannels as string[]).includes(channel))
          expectTypedError(await route(channel, input, appFrame), 'UNKNOWN_CHANNEL')
        },
      ),
      { seed: 42, numRuns: 300 },
    )
    expectTypedError(await route(42, {}, appFrame), 'UNKNOWN_CHANNEL')
  })

  it('gives every channel arbitrary payloads without throwing, and refuses what fails its schema', async () => {
    for (const channel of requestChannels) {
      await fc.assert(
        fc.asyncProperty(
          fc.anything({ withObjectString: true, withNullPrototype: true }),
          async (input) => {
            const result = await route(channel, input, appFrame)
            if (result.ok) {
              expect(requests[channel].input.safeParse(input).success).toBe(true)
            } else {
              expectTypedError(result)
            }
          },
        ),
        { seed: 7, numRuns: 150 },
      )
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('refuses wrong types, extra fields and huge strings with INVALID_PAYLOAD', async () => {
    const cases: Array<[string, unknown]> = [
      ['app.ping', { sentAt: 'now' }],
      ['app.ping', { sentAt: 1, extra: true }],
      ['app.ping', null],
      [
        'jobs.submit',
        { kind: 'generate', settings: { ...validSettings, prompt: 'x'.repeat(1_000_000) } },
      ],
      ['jobs.submit', { kind: 'generate', settings: { ...validSettings, seed: -1 } }],
      [
        'jobs.submit',
        { kind: 'generate', settings: { ...validSettings, batchSize: limits.maxBatchSize + 1 } },
      ],
      [
        'jobs.submit',
        { kind: 'generate', settings: { ...validSettings, baseRespacing: '../../etc' } },
      ],
      ['jobs.submit', { kind: 'generate', settings: { ...validSettings, modelId: '../outside' } }],
      ['jobs.submit', { kind: 'generate', settings: validSettings, sneaky: 1 }],
      ['jobs.submit', JSON.parse('{"kind":"generate","settings":{},"__proto__":{"polluted":1}}')],
      ['jobs.cancel', { jobId: 'x'.repeat(10_000) }],
      ['settings.update', { modelsDir: '/etc' }],
    ]
    for (const [channel, input] of cases) {
      const started = performance.now()
      expectTypedError(await route(channel, input, appFrame), 'INVALID_PAYLOAD')
      expect(performance.now() - started).toBeLessThan(200)
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('returns handler failures as typed errors', async () => {
    const result = await route(
      'jobs.submit',
      { kind: 'generate', settings: validSettings },
      appFrame,
    )
    expectTypedError(result, 'MODEL_NOT_FOUND')
    expectTypedError(
      await route('jobs.cancel', { jobId: 'no-such-job' }, appFrame),
      'JOB_NOT_FOUND',
    )
  })

  it('refuses wrong senders before running anything', async () => {
    const ping = vi.spyOn(handlers, 'app.ping')
    const senders: Array<SenderFrame | null> = [
      null,
      { url: 'app://glide/index.html', parent: {} },
      { url: 'https://evil.example/', parent: null },
      { url: 'file:///etc/passwd', parent: null },
      { url: 'about:blank', parent: null },
      { url: 'app://glide.evil/index.html', parent: null },
      { url: 'not a url', parent: null },
    ]
    for (const sender of senders) {
      expectTypedError(await route('app.ping', { sentAt: 1 }, sender), 'FORBIDDEN')
    }
    expect(ping).not.toHaveBeenCalled()
    ping.mockRestore()
    expect(await route('app.ping', { sentAt: 1 }, appFrame)).toMatchObject({ ok: true })
  })
})
