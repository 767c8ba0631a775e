import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  createDocumentServices,
  discardSessionRecoveries,
  folderDialogs,
} from '../documents/documentServices'
import type { Emit, Services } from '../ipc/services'
import { createServices } from '../ipc/services'
import { InferenceHostClient } from '../inference/client/hostClient'
import { nodeHostLauncher } from '../inference/client/nodeHostLauncher'
import { createNodeModelRegistry } from '../jobs/nodeModels'
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
}

export interface NodeServices {
  readonly services: Services
  readonly host: InferenceHostClient
  readonly settings: SettingsStore
  /** Cancels what runs and stops the host; a clean stop drops this session's recovery copies. */
  dispose(): Promise<void>
}

/** The app's services under plain Node (browser mode, CLI): the host runs as a child process. */
export async function createNodeServices(options: NodeServicesOptions): Promise<NodeServices> {
  const configDir = options.configDir ?? defaultConfigDir()
  const settings = await SettingsStore.open(configDir)
  const recoveryDirectory = join(configDir, 'recovery')
  // Without native dialogs, saves and exports land in one folder next to the settings.
  const exportsDirectory = join(configDir, 'exports')
  mkdirSync(exportsDirectory, { recursive: true })
  const host = new InferenceHostClient(nodeHostLauncher(), {
    onStatus: (state, provider) => options.emit('host.status', { state, provider }),
  })
  const services = createServices({
    mode: options.mode,
    version: packageVersion(),
    settings,
    host,
    models: createNodeModelRegistry(() => options.modelsDir ?? settings.get().modelsDir),
    emit: options.emit,
    documents: createDocumentServices({
      recoveryDirectory,
      dialogs: folderDialogs(exportsDirectory),
    }),
    ...(options.previewIntervalMs !== undefined
      ? { previewIntervalMs: options.previewIntervalMs }
      : {}),
  })
  return {
    services,
    host,
    settings,
    async dispose() {
      services.queue.cancelAll()
      host.dispose()
      await discardSessionRecoveries(recoveryDirectory)
    },
  }
}
