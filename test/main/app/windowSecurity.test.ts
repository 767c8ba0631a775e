import { EventEmitter } from 'node:events'
import type { Session, WebContents } from 'electron'
import { describe, expect, it } from 'vitest'
import {
  restrictPermissions,
  hardenWebContents,
  rendererEntryUrl,
  windowOptions,
} from '../../../main/app/windowSecurity'

class FakeContents extends EventEmitter {
  openHandler: ((details: { url: string }) => { action: string }) | null = null
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
    this.openHandler = handler
  }
}

function navigationEvent() {
  let prevented = false
  return {
    preventDefault: () => {
      prevented = true
    },
    get prevented() {
      return prevented
    },
  }
}

describe('window security', () => {
  it('creates windows sandboxed, isolated, without Node and with web security', () => {
    const { webPreferences } = windowOptions('/app/preload.cjs', null)
    expect(webPreferences).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
    })
    expect(webPreferences).not.toHaveProperty('enableBlinkFeatures')
    expect(rendererEntryUrl).toBe('app://glide/index.html')
  })

  it('restores saved bounds', () => {
    const options = windowOptions('/p', { x: 10, y: 20, width: 900, height: 700, maximized: false })
    expect(options).toMatchObject({ x: 10, y: 20, width: 900, height: 700 })
  })

  it('denies every navigation, redirect, webview and new window', () => {
    const contents = new FakeContents()
    hardenWebContents(contents as unknown as WebContents)
    for (const name of [
      'will-navigate',
      'will-redirect',
      'will-frame-navigate',
      'will-attach-webview',
    ]) {
      for (const url of [
        'https://evil.example/',
        'file:///etc/passwd',
        'app://glide/../x',
        'javascript:alert(1)',
      ]) {
        const event = navigationEvent()
        contents.emit(name, event, url)
        expect(event.prevented, `${name} ${url}`).toBe(true)
      }
    }
    for (const url of ['https://example.com/', 'app://glide/index.html', 'about:blank']) {
      expect(contents.openHandler?.({ url })).toEqual({ action: 'deny' })
    }
  })

  it('refuses every permission request and check but clipboard writes from the app page', () => {
    const calls: Record<string, unknown> = {}
    const fakeSession = {
      setPermissionRequestHandler: (handler: unknown) => (calls.request = handler),
      setPermissionCheckHandler: (handler: unknown) => (calls.check = handler),
      setDevicePermissionHandler: (handler: unknown) => (calls.device = handler),
    }
    restrictPermissions(fakeSession as unknown as Session)
    const permissions = [
      'media',
      'geolocation',
      'notifications',
      'clipboard-read',
      'openExternal',
      'hid',
      'serial',
      'usb',
      'fullscreen',
    ]
    const request = (permission: string, requestingUrl: string) => {
      let granted: boolean | undefined
      ;(
        calls.request as (
          c: unknown,
          p: string,
          cb: (ok: boolean) => void,
          details: { requestingUrl: string },
        ) => void
      )(null, permission, (ok) => (granted = ok), { requestingUrl })
      return granted
    }
    const check = (permission: string, origin: string) =>
      (calls.check as (c: unknown, p: string, o: string) => boolean)(null, permission, origin)
    for (const permission of permissions) {
      expect(request(permission, 'app://glide/index.html')).toBe(false)
      expect(check(permission, 'app://glide')).toBe(false)
    }
    expect(request('clipboard-sanitized-write', 'app://glide/index.html')).toBe(true)
    expect(check('clipboard-sanitized-write', 'app://glide')).toBe(true)
    for (const elsewhere of ['https://example.com', 'app://glider', 'file:///tmp/x.html']) {
      expect(request('clipboard-sanitized-write', elsewhere)).toBe(false)
      expect(check('clipboard-sanitized-write', elsewhere)).toBe(false)
    }
    expect((calls.device as () => boolean)()).toBe(false)
  })
})
