import type { ModelSummary } from '../../contract/ipc'
import type { ModelRegistry } from '../ipc/services'
import type { InstalledModel } from './modelChoice'

/** Lists the models of one models directory (main/models does the reading and checking). */
export type ListModelsIn = (modelsDir: string) => Promise<ModelSummary[]>

/**
 * The installed models across the user's models dir and the bundled ones (GLIDE-mini), in that
 * order; a usable model id already seen in an earlier dir hides later ones. Unusable folders (with
 * a problem) are listed too but hide nothing. A dir that does not exist contributes nothing.
 */
export function createModelRegistry(dirs: () => string[], listIn: ListModelsIn): ModelRegistry {
  return {
    async list() {
      const seen = new Set<string>()
      const installed: InstalledModel[] = []
      for (const modelsDir of dirs()) {
        for (const model of await listIn(modelsDir)) {
          if (model.problem === undefined) {
            if (seen.has(model.id)) continue
            seen.add(model.id)
          }
          installed.push({ ...model, modelsDir })
        }
      }
      return installed
    },
  }
}
