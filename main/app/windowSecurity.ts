import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron'
import type { WindowBounds } from '../../contract/settings'
import { appOrigin } from '../ipc/senderGuard'

/** The renderer's entry page, served by the app:// protocol handler. */
export const rendererEntryUrl = `${appOrigin}/index.html`

/** Every window's options: sandboxed, isolated, no Node, web security on, our preload only. */
export function windowOptions(
  preloadPath: string,
  bounds: WindowBounds | null,
): BrowserWindowConstructorOptions {
  return {
    width: bounds?.width ?? 1280,
    height: bounds?.height ?? 860,
    ...(bounds ? { x: bounds.x, y: bounds.y } : {}),
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Glide Studio',
    backgroundColor: '#17181b',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      experimentalFeatures: false,
    },
  }
}

/**
 * The window never leaves the app: navigation, redirects and new windows are refused, and so is
 * any <webview>. The page is loaded once by main with loadURL, which these events do not see.
 */
export function hardenWebContents(contents: WebContents): void {
  const deny = (event: { preventDefault(): void }) => event.preventDefault()
  contents.on('will-navigate', deny)
  contents.on('will-redirect', deny)
  contents.on('will-frame-navigate', deny)
  contents.on('will-attach-webview', deny)
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
}

/**
 * Every permission (camera, notifications, clipboard-read, HID, …) is refused, asked or checked,
 * but one: the app's own page may write to the clipboard (Copy puts pictures there). Reading it
 * stays refused; Paste arrives as the page's paste event.
 */
export function restrictPermissions(target: Session): void {
  // The origin comes as "app://glide" or as a URL under it, depending on the request.
  const fromApp = (url: string | undefined) =>
    url !== undefined && (url === appOrigin || url.startsWith(`${appOrigin}/`))
  const allowed = (permission: string, url: string | undefined) =>
    permission === 'clipboard-sanitized-write' && fromApp(url)
  target.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(allowed(permission, details.requestingUrl)),
  )
  target.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    allowed(permission, requestingOrigin),
  )
  target.setDevicePermissionHandler(() => false)
}
