import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ModelSummary } from '../../contract/ipc'
import type { ModelManifest } from '../../contract/model'
import { officialModels } from '../models/officialModels'
import type { ModelRegistry } from '../ipc/services'
import { listModels } from '../models/modelFolder'
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

/** The released GLIDE (filtered) weights, installed under their official ids. */
function isOfficial(manifest: ModelManifest): boolean {
  return officialModels().some((model) => model.id === manifest.id && model.kind === manifest.kind)
}

async function listIn(modelsDir: string): Promise<ModelSummary[]> {
  if (!existsSync(modelsDir)) return []
  const { models } = await listModels(modelsDir)
  return models.map(({ manifest }) => ({
    id: manifest.id,
    name: manifest.name,
    kind: manifest.kind,
    official: isOfficial(manifest),
    imageSize: manifest.options.image_size,
  }))
}

/** The registry over the user's models dir (settings, else the default) and the bundled ones. */
export function createNodeModelRegistry(modelsDir: () => string | null | undefined): ModelRegistry {
  return createModelRegistry(
    () => [modelsDir() ?? defaultModelsDir(), ...bundledModelsDirs()],
    listIn,
  )
}
