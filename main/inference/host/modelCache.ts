import { cpus } from 'node:os'
import { join } from 'node:path'
import type { ExecutionProviderName } from '../../../contract/jobs'
import type { ExecutionProviderChoice } from '../../../contract/settings'
import type { GlideUNet } from '../../engine/glideModel'
import { intraOpThreads, providerPreference } from './executionProviders'
import { loadGlideUNet } from './onnxGlideUNet'

export interface LoadedModel {
  readonly unet: GlideUNet
  readonly provider: ExecutionProviderName
}

/** Loaded U-Nets by models dir, id and provider choice; a failed load is not cached. */
export class ModelCache {
  private readonly loaded = new Map<string, Promise<LoadedModel>>()

  get(
    { modelsDir, id }: { modelsDir: string; id: string },
    choice: ExecutionProviderChoice,
  ): Promise<LoadedModel> {
    const key = JSON.stringify([modelsDir, id, choice])
    let entry = this.loaded.get(key)
    if (!entry) {
      entry = this.load(join(modelsDir, id), choice)
      entry.catch(() => this.loaded.delete(key))
      this.loaded.set(key, entry)
    }
    return entry
  }

  private async load(modelDir: string, choice: ExecutionProviderChoice): Promise<LoadedModel> {
    // The loader tries the providers in order and falls back to CPU when none starts.
    const unet = await loadGlideUNet(modelDir, {
      executionProviders: providerPreference(choice, process.platform),
      intraOpNumThreads: intraOpThreads(cpus().length),
    })
    return { unet, provider: unet.executionProvider }
  }
}
