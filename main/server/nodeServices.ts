import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createDocumentService, type DocumentService } from '../documents/documentServices'
import { removeStaleTempFiles } from '../storage/atomicWrite'
import type { Emit, Services } from '../ipc/services'
import { createServices } from '../ipc/services'
import { InferenceHostClient } from '../inference/client/hostClient'
import { nodeDecoderLauncher, nodeHostLauncher } from '../inference/client/nodeHostLauncher'
import { DocumentDecoderClient } from '../documents/decoder/decoderClient'
import type { ToDecoder } from '../documents/decoder/protocol'
import { createNodeModelRegistry } from '../jobs/nodeModels'
import { ModelInstalls, type ModelInstallsOptions } from '../models/modelInstalls'
import { defaultModelsDir } from '../models/paths'
import { ResultHistory } from '../results/resultHistory'
import { defaultConfigDir, SettingsStore } from '../settings/settingsStore'

export function packageVersion(): string {
  const manifest = JSON.parse(
    readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as {
    version: string
  }
  return manifest.version
}

export interface NodeServicesOptions {
  mode: 'browser' | 'cli'
  emit: Emit
  configDir?: string
  /** Overrides the settings' models dir. */
  modelsDir?: string
  previewIntervalMs?: number
  /** Test seam for installs (see ModelInstallsOptions.optionsFor); the app never sets it. */
  installOptionsFor?: ModelInstallsOptions['optionsFor']
}

export interface NodeServices {
  readonly services: Services
  /** Per-page document handlers (browser mode binds one set to each WebSocket connection). */
  readonly documents: DocumentService
  readonly host: InferenceHostClient
  readonly settings: SettingsStore
  /** Cancels what runs and stops the host; a clean stop keeps the copies of unsaved documents. */
  dispose(): Promise<void>
}

/** The app's services under plain Node (browser mode, CLI): the host runs as a child process. */
export async function createNodeServices(options: NodeServicesOptions): Promise<NodeServices> {
  const configDir = options.configDir ?? defaultConfigDir()
  const settings = await SettingsStore.open(configDir)
  const recoveryDirectory = join(configDir, 'recovery')
  // Earlier versions wrote browser-mode exports here; clean up after writes killed mid-way.
  await removeStaleTempFiles(join(configDir, 'exports'))
  // Untrusted files are decoded in a child process: a crash or a bomb fails that request only,
  // and the server's event loop never waits on a decoder.
  const decoder = new DocumentDecoderClient(nodeDecoderLauncher<ToDecoder>())
  // Without native dialogs, saves and exports come back as bytes and the page downloads them.
  const documents = createDocumentService({ recoveryDirectory, dialogs: null, decoder })
  const keepsRecovery = options.mode === 'browser'
  if (keepsRecovery) await documents.start()
  const host = new InferenceHostClient(nodeHostLauncher(), {
    onStatus: (state, provider) => options.emit('host.status', { state, provider }),
  })
  const modelsDir = () => options.modelsDir ?? settings.get().modelsDir
  // The CLI installs with `models download`; browser mode through the Models dialog.
  const installs =
    options.mode === 'browser'
      ? new ModelInstalls({
          modelsDir: () => resolve(modelsDir() ?? defaultModelsDir()),
          onProgress: (progress) => options.emit('models.installProgress', progress),
          ...(options.installOptionsFor ? { optionsFor: options.installOptionsFor } : {}),
        })
      : null
  // The CLI writes the files it is asked for; the Gallery's store is the app's.
  const results =
    options.mode === 'browser'
      ? ResultHistory.announcing(join(configDir, 'results'), options.emit)
      : null
  const services = createServices({
    mode: options.mode,
    version: packageVersion(),
    settings,
    host,
    models: createNodeModelRegistry(modelsDir),
    ...(installs ? { installs } : {}),
    ...(results ? { results } : {}),
    emit: options.emit,
    documents: documents.forClient(`${options.mode}-local`),
    ...(options.previewIntervalMs !== undefined
      ? { previewIntervalMs: options.previewIntervalMs }
      : {}),
  })
  return {
    services,
    documents,
    host,
    settings,
    async dispose() {
      installs?.dispose()
      services.queue.cancelAll()
      host.dispose()
      decoder.dispose()
      if (keepsRecovery) await documents.stop()
    },
  }
}
