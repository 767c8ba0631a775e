import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ModelSummary } from '../../contract/ipc'
import type { ModelRegistry } from '../ipc/services'
import { listModelSummaries } from '../models/modelFolder'
import { defaultModelsDir } from '../models/paths'
import { createModelRegistry } from './modelRegistry'

/** GLIDE-mini as shipped: native-models/glide-mini in the repository, resources/ when packaged. */
export function bundledModelsDirs(): string[] {
  const resources = (process as { resourcesPath?: string }).resourcesPath
  const candidates = [
    ...(resources ? [`${resources}/glide-mini`] : []),
    fileURLToPath(new URL('../../native-models/glide-mini', import.meta.url)),
  ]
  return candidates.filter((dir) => existsSync(dir))
}

/** Every folder of one models dir; unusable ones carry their problem (main/models decides). */
async function listIn(modelsDir: string): Promise<ModelSummary[]> {
  if (!existsSync(modelsDir)) return []
  return listModelSummaries(modelsDir)
}

/**
 * The registry over the user's models dir (settings, else the default) and the bundled ones. A
 * relative dir is taken from this process's working directory: the inference host, which reads
 * the folders, runs in a directory of its own.
 */
export function createNodeModelRegistry(modelsDir: () => string | null | undefined): ModelRegistry {
  return createModelRegistry(
    () => [resolve(modelsDir() ?? defaultModelsDir()), ...bundledModelsDirs()],
    listIn,
  )
}
