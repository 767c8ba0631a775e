/**
 * The Electron main process: single instance, one sandboxed window on app://glide/, the menu,
 * settings, the IPC router, and the inference host as a supervised utilityProcess.
 * Bundled by scripts/build.js to out/main/app.cjs (next to host.cjs; preload and renderer beside).
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { app, BrowserWindow, dialog, Menu, protocol, screen, session } from 'electron'
import type { EventName, EventPayload } from '../../contract/ipc'
import { electronChannels } from '../../contract/ipc'
import { createDocumentService, pageScopedDocuments } from '../documents/documentServices'
import { DocumentDecoderClient } from '../documents/decoder/decoderClient'
import { decoderRoleFlag } from '../documents/decoder/protocol'
import { RecoveryStore } from '../documents/recoveryStore'
import { InferenceHostClient } from '../inference/client/hostClient'
import { registerElectronIpc } from '../ipc/electronIpc'
import { appScheme } from '../ipc/senderGuard'
import { createServices } from '../ipc/services'
import { createNodeModelRegistry } from '../jobs/nodeModels'
import { ModelInstalls } from '../models/modelInstalls'
import { defaultModelsDir } from '../models/paths'
import { ResultHistory } from '../results/resultHistory'
import { SettingsStore } from '../settings/settingsStore'
import { appSchemePrivileges, createAppProtocolHandler } from './appProtocol'
import { chooseDirectory, electronDialogs } from './electronDialogs'
import { menuTemplate } from './menu'
import { utilityChildLauncher, utilityHostLauncher } from './utilityHostLauncher'
import {
  restrictPermissions,
  hardenWebContents,
  rendererEntryUrl,
  windowOptions,
} from './windowSecurity'
import { confirmUnsavedLeave } from './unsavedChanges'
import { trackWindowBounds, visibleBounds } from './windowState'

const outMainDir = dirname(fileURLToPath(import.meta.url))
const paths = {
  renderer: join(outMainDir, '..', 'renderer'),
  preload: join(outMainDir, '..', 'preload', 'preload.cjs'),
  host: join(outMainDir, 'host.cjs'),
}

protocol.registerSchemesAsPrivileged([appSchemePrivileges])
app.enableSandbox()

let mainWindow: BrowserWindow | null = null

function broadcast<E extends EventName>(event: E, payload: EventPayload<E>): void {
  for (const window of BrowserWindow.getAllWindows()) {
    if (!window.isDestroyed()) window.webContents.send(electronChannels.event, event, payload)
  }
}

async function start(): Promise<void> {
  const settings = await SettingsStore.open(app.getPath('userData'))
  const recoveryDirectory = join(app.getPath('userData'), 'recovery')
  // Untrusted images and projects are decoded in a utility process of their own, never here.
  const decoder = new DocumentDecoderClient(
    utilityChildLauncher(paths.host, [decoderRoleFlag], 'Glide Studio document decoder'),
  )
  // The single-instance lock is held: no other session can be writing to this recovery folder.
  const documents = createDocumentService({
    recoveryDirectory,
    dialogs: electronDialogs(),
    recovery: new RecoveryStore(recoveryDirectory, { exclusive: true }),
    decoder,
  })
  await documents.start()
  const windowDocuments = pageScopedDocuments(documents)
  restrictPermissions(session.defaultSession)
  protocol.handle(appScheme, createAppProtocolHandler(paths.renderer))

  const host = new InferenceHostClient(utilityHostLauncher(paths.host), {
    onStatus: (state, provider) => broadcast('host.status', { state, provider }),
  })
  const installs = new ModelInstalls({
    modelsDir: () => settings.get().modelsDir ?? defaultModelsDir(),
    onProgress: (progress) => broadcast('models.installProgress', progress),
  })
  const results = ResultHistory.announcing(join(app.getPath('userData'), 'results'), broadcast)
  const services = createServices({
    mode: 'desktop',
    version: app.getVersion(),
    settings,
    host,
    models: createNodeModelRegistry(() => settings.get().modelsDir),
    installs,
    results,
    emit: broadcast,
    chooseDirectory,
    documents: windowDocuments.handlers,
  })
  const unregisterIpc = registerElectronIpc(services.handlers)
  void host.ensureStarted()

  Menu.setApplicationMenu(
    Menu.buildFromTemplate(menuTemplate((command) => broadcast('menu.command', { command }))),
  )

  const bounds = visibleBounds(
    settings.get().windowBounds,
    screen.getAllDisplays().map((display) => display.workArea),
  )
  const window = new BrowserWindow(windowOptions(paths.preload, bounds))
  mainWindow = window
  hardenWebContents(window.webContents)
  // Each page load is a new client: a reload or a renderer crash hands its copies to the next page.
  window.webContents.on('did-start-navigation', (details) => {
    if (details.isMainFrame && !details.isSameDocument) windowDocuments.newPage()
  })
  window.webContents.on('render-process-gone', () => windowDocuments.newPage())
  // The page's beforeunload guard holds unsaved changes: ask before the window closes or reloads.
  window.webContents.on('will-prevent-unload', (event) => {
    confirmUnsavedLeave(event, (options) => dialog.showMessageBoxSync(window, options))
  })
  trackWindowBounds(window, (windowBounds) => void settings.set({ windowBounds }))
  window.once('ready-to-show', () => {
    if (bounds?.maximized) window.maximize()
    window.show()
  })
  window.on('closed', () => {
    mainWindow = null
  })
  await window.loadURL(rendererEntryUrl)

  let quitting = false
  app.on('before-quit', (event) => {
    if (quitting) return
    quitting = true
    services.queue.cancelAll()
    unregisterIpc()
    installs.dispose()
    host.dispose()
    decoder.dispose()
    // A clean quit: the copies of documents with unsaved changes (the user was asked when the
    // window closed) stay, and are offered on the next start.
    event.preventDefault()
    void documents.stop().finally(() => app.quit())
  })
}

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return
    if (mainWindow.isMinimized()) mainWindow.restore()
    mainWindow.focus()
  })
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents))
  app.on('window-all-closed', () => app.quit())
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      console.error('Glide Studio could not start:', error)
      app.exit(1)
    })
}
