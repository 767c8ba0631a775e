/**
 * The Electron entry's start-up, run against a stand-in `electron` module (the binary is not
 * installed here): what it registers before ready, the window it opens and how it wires IPC.
 */
import { EventEmitter } from 'node:events'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it, vi } from 'vitest'

const calls: Array<[string, ...unknown[]]> = []
const record =
  (name: string) =>
  (...args: unknown[]) =>
    void calls.push([name, ...args])
const userData = mkdtempSync(join(tmpdir(), 'glide-userdata-'))
let readyResolve: () => void = () => undefined
const windows: FakeWindow[] = []

class FakeContents extends EventEmitter {
  setWindowOpenHandler = record('setWindowOpenHandler')
  send = record('webContents.send')
}

class FakeWindow extends EventEmitter {
  webContents = new FakeContents()
  constructor(readonly options: unknown) {
    super()
    windows.push(this)
  }
  loadURL = (url: string) => {
    calls.push(['loadURL', url])
    return Promise.resolve()
  }
  isDestroyed = () => false
  static getAllWindows = () => windows
  static getFocusedWindow = () => windows[0] ?? null
}

const fakeApp = Object.assign(new EventEmitter(), {
  enableSandbox: record('enableSandbox'),
  requestSingleInstanceLock: () => {
    calls.push(['requestSingleInstanceLock'])
    return true
  },
  whenReady: () => new Promise<void>((resolve) => (readyResolve = resolve)),
  getPath: (name: string) => (name === 'userData' ? userData : tmpdir()),
  getVersion: () => '9.9.9',
  quit: record('quit'),
  exit: record('exit'),
})

vi.mock('electron', () => ({
  app: fakeApp,
  BrowserWindow: FakeWindow,
  Menu: {
    buildFromTemplate: (template: unknown) => template,
    setApplicationMenu: record('setApplicationMenu'),
  },
  protocol: {
    registerSchemesAsPrivileged: record('registerSchemesAsPrivileged'),
    handle: record('protocol.handle'),
  },
  screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
  session: {
    defaultSession: {
      setPermissionRequestHandler: record('setPermissionRequestHandler'),
      setPermissionCheckHandler: record('setPermissionCheckHandler'),
      setDevicePermissionHandler: record('setDevicePermissionHandler'),
    },
  },
  ipcMain: { handle: record('ipcMain.handle'), removeHandler: record('ipcMain.removeHandler') },
  utilityProcess: {
    fork: (path: string, args: unknown, options: unknown) => {
      calls.push(['utilityProcess.fork', path, options])
      return Object.assign(new EventEmitter(), {
        postMessage: record('host.postMessage'),
        kill: record('host.kill'),
      })
    },
  },
  dialog: {},
}))

beforeAll(async () => {
  await import('../../../main/app/index')
  readyResolve()
  await vi.waitFor(() => expect(calls.some(([name]) => name === 'loadURL')).toBe(true), {
    timeout: 5000,
  })
})

const names = () => calls.map(([name]) => name)

describe('Electron start-up', () => {
  it('registers the app scheme, the sandbox and the single-instance lock before ready', () => {
    const before = names().slice(0, names().indexOf('protocol.handle'))
    expect(before).toEqual(
      expect.arrayContaining([
        'registerSchemesAsPrivileged',
        'enableSandbox',
        'requestSingleInstanceLock',
      ]),
    )
    const [, schemes] = calls.find(([name]) => name === 'registerSchemesAsPrivileged')!
    expect(schemes).toEqual([
      expect.objectContaining({
        scheme: 'app',
        privileges: expect.objectContaining({ secure: true, standard: true }),
      }),
    ])
  })

  it('serves the renderer on app://, denies permissions, routes IPC and opens one hardened window', () => {
    expect(calls.find(([name]) => name === 'protocol.handle')?.[1]).toBe('app')
    expect(names()).toEqual(
      expect.arrayContaining([
        'setPermissionRequestHandler',
        'setPermissionCheckHandler',
        'setApplicationMenu',
      ]),
    )
    expect(
      calls.filter(([name]) => name === 'ipcMain.handle').map(([, channel]) => channel),
    ).toEqual(['glide:invoke'])
    expect(windows).toHaveLength(1)
    expect(windows[0]?.options).toMatchObject({
      webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false },
    })
    expect(calls.find(([name]) => name === 'loadURL')?.[1]).toBe('app://glide/index.html')
    expect(windows[0]?.webContents.listenerCount('will-navigate')).toBeGreaterThan(0)
  })

  it('starts the inference host as a utility process in a working directory of its own', () => {
    const fork = calls.find(([name]) => name === 'utilityProcess.fork')
    expect(String(fork?.[1])).toMatch(/host\.cjs$/)
    expect(fork?.[2]).toMatchObject({ serviceName: 'Glide Studio inference' })
    expect(String((fork?.[2] as { cwd: string }).cwd)).toContain('glide-host-')
  })

  it('sends menu commands to the renderer as typed events', () => {
    const [, template] = calls.find(([name]) => name === 'setApplicationMenu') as [
      string,
      Array<{ submenu?: Array<{ label?: string; click?: () => void }> }>,
    ]
    const save = template
      .flatMap((menu) => menu.submenu ?? [])
      .find((item) => item.label === 'Save')
    save?.click?.()
    expect(calls).toContainEqual([
      'webContents.send',
      'glide:event',
      'menu.command',
      { command: 'save' },
    ])
  })
})
