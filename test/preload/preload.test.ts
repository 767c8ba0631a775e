import { beforeAll, describe, expect, it, vi } from 'vitest'
import { electronChannels, requestChannels, type GlideApi } from '../../contract/ipc'

const exposed = new Map<string, unknown>()
const invocations: unknown[][] = []
let eventHandler: ((event: unknown, ...args: unknown[]) => void) | null = null

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value) },
  ipcRenderer: {
    invoke: (...args: unknown[]) => {
      invocations.push(args)
      return Promise.resolve({ ok: true, value: null })
    },
    on: (channel: string, handler: (event: unknown, ...args: unknown[]) => void) => {
      if (channel === electronChannels.event) eventHandler = handler
    },
  },
}))

beforeAll(async () => {
  await import('../../preload/index')
})

describe('preload', () => {
  it('exposes window.glide and nothing else', () => {
    expect([...exposed.keys()]).toEqual(['glide'])
    const glide = exposed.get('glide') as Record<string, unknown>
    const namespaces = new Set(requestChannels.map((channel) => channel.split('.')[0]))
    expect(Object.keys(glide).sort()).toEqual([...namespaces, 'subscribe'].sort())
    expect(JSON.stringify(Object.keys(glide))).not.toMatch(/ipcRenderer|send|invoke|on\b/)
  })

  it('sends every request through the one invoke channel with its contract name', async () => {
    const glide = exposed.get('glide') as GlideApi
    await glide.app.ping({ sentAt: 1 })
    await glide.jobs.cancel({ jobId: 'abc' })
    expect(invocations).toEqual([
      [electronChannels.invoke, 'app.ping', { sentAt: 1 }],
      [electronChannels.invoke, 'jobs.cancel', { jobId: 'abc' }],
    ])
  })

  it('hands listeners the payload, never the IPC event, and ignores unknown events', () => {
    const glide = exposed.get('glide') as GlideApi
    const received: unknown[][] = []
    const unsubscribe = glide.subscribe('menu.command', (...args: unknown[]) => received.push(args))
    const ipcEvent = { sender: { send: () => undefined } }
    eventHandler?.(ipcEvent, 'menu.command', { command: 'save' })
    eventHandler?.(ipcEvent, 'not.an.event', { command: 'save' })
    unsubscribe()
    eventHandler?.(ipcEvent, 'menu.command', { command: 'undo' })
    expect(received).toEqual([[{ command: 'save' }]])
    expect(() => glide.subscribe('evil' as never, () => undefined)).toThrow()
  })
})
