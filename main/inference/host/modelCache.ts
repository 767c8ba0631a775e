import { cpus } from 'node:os'
import { join } from 'node:path'
import type { ExecutionProviderName } from '../../../contract/jobs'
import type { ExecutionProviderChoice } from '../../../contract/settings'
import type { GlideUNet } from '../../engine/glideModel'
import { listSupportedBackends } from 'onnxruntime-node'
import { intraOpThreads, providerPreference } from './executionProviders'
import { loadGlideUNet } from './onnxGlideUNet'

export interface LoadedModel {
  readonly unet: GlideUNet
  readonly provider: ExecutionProviderName
}

/** onnxruntime-node's backend names for our provider names. */
const bindingNames: Record<ExecutionProviderName, string> = {
  cpu: 'cpu',
  cuda: 'cuda',
  directml: 'dml',
  coreml: 'coreml',
}

/** Loaded U-Nets by models dir, id and provider choice; a failed load is not cached. */
export class ModelCache {
  private readonly loaded = new Map<string, Promise<LoadedModel>>()
  /** Providers that failed to start once are not tried again by this process (each try logs). */
  private readonly failedProviders = new Set<ExecutionProviderName>()

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
    const inBinding = new Set(listSupportedBackends().map((backend) => backend.name))
    const candidates = providerPreference(choice, process.platform).filter(
      (provider) =>
        provider === 'cpu' ||
        (inBinding.has(bindingNames[provider]) && !this.failedProviders.has(provider)),
    )
    // The loader tries the providers in order and falls back to CPU when none starts.
    const unet = await loadGlideUNet(modelDir, {
      executionProviders: candidates,
      intraOpNumThreads: intraOpThreads(cpus().length),
    })
    for (const provider of candidates) {
      if (provider === unet.executionProvider) break
      this.failedProviders.add(provider)
    }
    return { unet, provider: unet.executionProvider }
  }
}
