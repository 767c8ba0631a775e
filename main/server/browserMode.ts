import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Emit } from '../ipc/services'
import { startBrowserServer, type BrowserServer } from './browserServer'
import { createNodeServices, type NodeServices, type NodeServicesOptions } from './nodeServices'

export const builtRendererDir = fileURLToPath(new URL('../../out/renderer/', import.meta.url))

export interface BrowserModeOptions {
  port?: number
  configDir?: string
  /** Overrides the settings' models dir. */
  modelsDir?: string
  staticDir?: string
  previewIntervalMs?: number
  /** Test seam; see ModelInstallsOptions.optionsFor. */
  installOptionsFor?: NodeServicesOptions['installOptionsFor']
}

export interface BrowserMode extends NodeServices {
  readonly server: BrowserServer
  close(): Promise<void>
}

/** Browser mode in this Node process: the Node services behind the loopback server. */
export async function startBrowserMode(options: BrowserModeOptions = {}): Promise<BrowserMode> {
  const staticDir = options.staticDir ?? builtRendererDir
  if (!existsSync(staticDir)) {
    throw new Error(`No built renderer at ${staticDir}; run "npm run build" first.`)
  }
  let server: BrowserServer | null = null
  const emit: Emit = (event, payload) => server?.broadcast(event, payload)
  const node = await createNodeServices({
    mode: 'browser',
    emit,
    ...(options.configDir !== undefined ? { configDir: options.configDir } : {}),
    ...(options.modelsDir !== undefined ? { modelsDir: options.modelsDir } : {}),
    ...(options.previewIntervalMs !== undefined
      ? { previewIntervalMs: options.previewIntervalMs }
      : {}),
    ...(options.installOptionsFor ? { installOptionsFor: options.installOptionsFor } : {}),
  })
  const started = await startBrowserServer({
    handlers: node.services.handlers,
    clientHandlers: (clientId) => node.documents.forClient(clientId),
    onClientClosed: (clientId) => node.documents.clientClosed(clientId),
    staticDir,
    port: options.port ?? 0,
  })
  server = started
  void node.host.ensureStarted()
  return {
    ...node,
    server: started,
    async close() {
      await started.close()
      await node.dispose()
    },
  }
}
