import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Emit, Services } from '../ipc/services'
import { createServices } from '../ipc/services'
import { InferenceHostClient } from '../inference/client/hostClient'
import { nodeHostLauncher } from '../inference/client/nodeHostLauncher'
import { createNodeModelRegistry } from '../jobs/nodeModels'
import { defaultConfigDir, SettingsStore } from '../settings/settingsStore'
import { startBrowserServer, type BrowserServer } from './browserServer'

export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url))
export const builtRendererDir = fileURLToPath(new URL('../../out/renderer/', import.meta.url))

export function packageVersion(): string {
  const manifest = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as {
    version: string
  }
  return manifest.version
}

export interface BrowserModeOptions {
  port?: number
  configDir?: string
  /** Overrides the settings' models dir. */
  modelsDir?: string
  staticDir?: string
  previewIntervalMs?: number
}

export interface BrowserMode {
  readonly server: BrowserServer
  readonly services: Services
  readonly host: InferenceHostClient
  close(): Promise<void>
}

/** Browser mode in this Node process: settings, the host as a child process, services, server. */
export async function startBrowserMode(options: BrowserModeOptions = {}): Promise<BrowserMode> {
  const staticDir = options.staticDir ?? builtRendererDir
  if (!existsSync(staticDir)) {
    throw new Error(`No built renderer at ${staticDir}; run "npm run build" first.`)
  }
  const settings = await SettingsStore.open(options.configDir ?? defaultConfigDir())
  let server: BrowserServer | null = null
  const emit: Emit = (event, payload) => server?.broadcast(event, payload)
  const host = new InferenceHostClient(nodeHostLauncher(), {
    onStatus: (state, provider) => emit('host.status', { state, provider }),
  })
  const services = createServices({
    mode: 'browser',
    version: packageVersion(),
    settings,
    host,
    models: createNodeModelRegistry(() => options.modelsDir ?? settings.get().modelsDir),
    emit,
    ...(options.previewIntervalMs !== undefined
      ? { previewIntervalMs: options.previewIntervalMs }
      : {}),
  })
  server = await startBrowserServer({
    handlers: services.handlers,
    staticDir,
    port: options.port ?? 0,
  })
  void host.ensureStarted()
  const started = server
  return {
    server: started,
    services,
    host,
    async close() {
      services.queue.cancelAll()
      host.dispose()
      await started.close()
    },
  }
}
