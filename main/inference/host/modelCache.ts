import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { ExecutionProviderName } from '../../../contract/jobs'
import type { ExecutionProviderChoice } from '../../../contract/settings'
import type { GlideUNet } from '../../engine/glideModel'
import { listSupportedBackends } from 'onnxruntime-node'
import { defaultCacheDir } from '../../models/paths'
import { appIntraOpThreads, providerPreference } from './executionProviders'
import { loadGlideUNet } from './onnxGlideUNet'
import { loadNoisedClip, type OnnxNoisedClip } from './onnxNoisedClip'

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

/**
 * Whether onnxruntime-node can offer a provider: it must be in the binding, and a provider the
 * package does not bundle (CUDA) needs its library installed beside the binding. Trying one that
 * is absent costs a native error printed to stderr on every load.
 */
function providerAvailable(provider: ExecutionProviderName): boolean {
  const backend = listSupportedBackends().find((entry) => entry.name === bindingNames[provider])
  if (!backend) return false
  if (backend.bundled) return true
  const bindingDir = join(
    dirname(createRequire(import.meta.url).resolve('onnxruntime-node')),
    '..',
    'bin',
    'napi-v6',
    process.platform,
    process.arch,
  )
  const library =
    process.platform === 'win32'
      ? `onnxruntime_providers_${bindingNames[provider]}.dll`
      : `libonnxruntime_providers_${bindingNames[provider]}.so`
  return existsSync(join(bindingDir, library))
}

/** Loaded U-Nets by models dir, id and provider choice; a failed load is not cached. */
export class ModelCache {
  private readonly loaded = new Map<string, Promise<LoadedModel>>()
  private readonly loadedClips = new Map<string, Promise<OnnxNoisedClip>>()
  /** Providers that failed to start once are not tried again by this process (each try logs). */
  private readonly failedProviders = new Set<ExecutionProviderName>()

  /** userCacheDir: where optimised graphs of models in read-only folders (bundled ones) go. */
  constructor(private readonly userCacheDir: string = defaultCacheDir()) {}

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

  /** The noised CLIP over a clip-image and a clip-text folder, loaded as the U-Nets are. */
  getClip(
    image: { modelsDir: string; id: string },
    text: { modelsDir: string; id: string },
    choice: ExecutionProviderChoice,
  ): Promise<OnnxNoisedClip> {
    const key = JSON.stringify([image.modelsDir, image.id, text.modelsDir, text.id, choice])
    let entry = this.loadedClips.get(key)
    if (!entry) {
      entry = loadNoisedClip(join(image.modelsDir, image.id), join(text.modelsDir, text.id), {
        executionProviders: providerPreference(choice, process.platform).filter(
          (provider) =>
            provider === 'cpu' ||
            (!this.failedProviders.has(provider) && providerAvailable(provider)),
        ),
        intraOpNumThreads: appIntraOpThreads(),
        userCacheDir: this.userCacheDir,
      })
      entry.catch(() => this.loadedClips.delete(key))
      this.loadedClips.set(key, entry)
    }
    return entry
  }

  private async load(modelDir: string, choice: ExecutionProviderChoice): Promise<LoadedModel> {
    const candidates = providerPreference(choice, process.platform).filter(
      (provider) =>
        provider === 'cpu' || (!this.failedProviders.has(provider) && providerAvailable(provider)),
    )
    // The loader tries the providers in order and falls back to CPU when none starts.
    const unet = await loadGlideUNet(modelDir, {
      executionProviders: candidates,
      intraOpNumThreads: appIntraOpThreads(),
      userCacheDir: this.userCacheDir,
    })
    for (const provider of candidates) {
      if (provider === unet.executionProvider) break
      this.failedProviders.add(provider)
    }
    return { unet, provider: unet.executionProvider }
  }
}
