import { describe, expect, it, vi } from 'vitest'
import { electronChannels } from '../../../contract/ipc'
import type { Handlers } from '../../../main/ipc/services'

const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>()

vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, handler: (event: unknown, ...args: unknown[]) => unknown) =>
      handlers.set(channel, handler),
    removeHandler: (channel: string) => handlers.delete(channel),
  },
}))

const { registerElectronIpc } = await import('../../../main/ipc/electronIpc')

describe('Electron IPC binding', () => {
  it('routes the invoke channel through the sender check and the router', async () => {
    const ping = vi.fn(({ sentAt }: { sentAt: number }) => ({ sentAt, receivedAt: 2 }))
    const unregister = registerElectronIpc({ 'app.ping': ping } as unknown as Handlers)
    expect([...handlers.keys()]).toEqual([electronChannels.invoke])
    const invoke = handlers.get(electronChannels.invoke)!

    const fromApp = { senderFrame: { url: 'app://glide/index.html', parent: null } }
    await expect(invoke(fromApp, 'app.ping', { sentAt: 1 })).resolves.toEqual({
      ok: true,
      value: { sentAt: 1, receivedAt: 2 },
    })
    const fromSubframe = { senderFrame: { url: 'app://glide/index.html', parent: {} } }
    const fromElsewhere = { senderFrame: { url: 'https://evil.example/', parent: null } }
    const destroyed = { senderFrame: null }
    for (const event of [fromSubframe, fromElsewhere, destroyed]) {
      await expect(invoke(event, 'app.ping', { sentAt: 1 })).resolves.toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      })
    }
    expect(ping).toHaveBeenCalledTimes(1)
    await expect(invoke(fromApp, 'app.ping', { sentAt: 'x' })).resolves.toMatchObject({
      error: { code: 'INVALID_PAYLOAD' },
    })
    unregister()
    expect(handlers.size).toBe(0)
  })
})
