import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { ExecutionProviderName } from '../../../contract/jobs'
import type { ExecutionProviderChoice } from '../../../contract/settings'
import type { GlideUNet } from '../../engine/glideModel'
import { listSupportedBackends } from 'onnxruntime-node'
import { defaultCacheDir } from '../../models/paths'
import { appIntraOpThreads, providerPreference } from './executionProviders'
import { onDemandGlideUNet } from './onDemandGlideUNet'
import {
  glideUNetFiles,
  loadGlideUNet,
  readGlideUNetModelInfo,
  type LoadGlideUNetOptions,
  type OnnxGlideUNet,
} from './onnxGlideUNet'
import { loadNoisedClip, type OnnxNoisedClip } from './onnxNoisedClip'

function unetKey({ modelsDir, id }: ModelRef, choice: ExecutionProviderChoice): string {
  return JSON.stringify([modelsDir, id, choice])
}

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

/** A model folder: the models dir it is in and its id (the folder's name). */
export interface ModelRef {
  modelsDir: string
  id: string
}

/**
 * Memory a loaded U-Net takes per byte of its weights files while it runs: the weights, ONNX
 * Runtime's repacked copies and working buffers, and the activations of a step. Measured at the
 * official size (peak RSS of loading and running, less the process before it; see the README's
 * benchmarks): base 1.3, upsampler 1.4; rounded up so that loading does not run into swap.
 */
export const memoryPerWeightByte = 1.5

export interface ModelCacheOptions {
  /** Where optimised graphs of models in read-only folders (bundled ones) go. */
  userCacheDir?: string
  /** Bytes of memory this process can still take; default process.availableMemory(). */
  availableMemory?: () => number
  /** Opens a U-Net folder; default loadGlideUNet (a test seam). */
  openUNet?: (modelDir: string, options: LoadGlideUNetOptions) => Promise<OnnxGlideUNet>
}

/** Loaded U-Nets by models dir, id and provider choice; a failed load is not cached. */
export class ModelCache {
  private readonly loaded = new Map<string, Promise<LoadedModel>>()
  private readonly loadedClips = new Map<string, Promise<OnnxNoisedClip>>()
  /** Providers that failed to start once are not tried again by this process (each try logs). */
  private readonly failedProviders = new Set<ExecutionProviderName>()
  private readonly userCacheDir: string
  private readonly availableMemory: () => number
  private readonly openUNet: NonNullable<ModelCacheOptions['openUNet']>

  constructor(options: ModelCacheOptions = {}) {
    this.userCacheDir = options.userCacheDir ?? defaultCacheDir()
    this.availableMemory = options.availableMemory ?? (() => process.availableMemory())
    this.openUNet = options.openUNet ?? loadGlideUNet
  }

  get({ modelsDir, id }: ModelRef, choice: ExecutionProviderChoice): Promise<LoadedModel> {
    const key = unetKey({ modelsDir, id }, choice)
    let entry = this.loaded.get(key)
    if (!entry) {
      entry = this.load(join(modelsDir, id), choice)
      entry.catch(() => this.loaded.delete(key))
      this.loaded.set(key, entry)
    }
    return entry
  }

  /** Whether the U-Net is loaded (or loading) for this provider choice. */
  has(model: ModelRef, choice: ExecutionProviderChoice): boolean {
    return this.loaded.has(unetKey(model, choice))
  }

  /**
   * As get, but a U-Net that is not loaded yet first makes room: when the memory left is below what
   * it needs (its weights × memoryPerWeightByte), every loaded model is released before it loads.
   * Call it only when no loaded model is still to run in the current job.
   */
  async getMakingRoom(model: ModelRef, choice: ExecutionProviderChoice): Promise<LoadedModel> {
    if (!this.has(model, choice)) {
      const modelDir = join(model.modelsDir, model.id)
      const { weightsBytes } = await glideUNetFiles(
        modelDir,
        await readGlideUNetModelInfo(modelDir),
      )
      if (this.availableMemory() < weightsBytes * memoryPerWeightByte) await this.releaseAll()
    }
    return this.get(model, choice)
  }

  /**
   * The U-Net as the pipelines see it, opened (by getMakingRoom) at its first network call. The
   * manifest and the files are checked now, so a broken folder fails the job before any sampling.
   */
  async onDemand(model: ModelRef, choice: ExecutionProviderChoice): Promise<GlideUNet> {
    const modelDir = join(model.modelsDir, model.id)
    const info = await readGlideUNetModelInfo(modelDir)
    await glideUNetFiles(modelDir, info)
    return onDemandGlideUNet(info, async () => (await this.getMakingRoom(model, choice)).unet)
  }

  /** Releases one U-Net's sessions; a later get loads it again. */
  async release(model: ModelRef, choice: ExecutionProviderChoice): Promise<void> {
    const key = unetKey(model, choice)
    const entry = this.loaded.get(key)
    this.loaded.delete(key)
    await entry?.then(({ unet }) => unet.dispose()).catch(() => undefined)
  }

  /** Releases every loaded U-Net and CLIP. */
  async releaseAll(): Promise<void> {
    const unets = [...this.loaded.values()]
    const clips = [...this.loadedClips.values()]
    this.loaded.clear()
    this.loadedClips.clear()
    await Promise.all([
      ...unets.map((entry) => entry.then(({ unet }) => unet.dispose()).catch(() => undefined)),
      ...clips.map((entry) => entry.then((clip) => clip.dispose()).catch(() => undefined)),
    ])
  }

  /** The noised CLIP over a clip-image and a clip-text folder, loaded as the U-Nets are. */
  getClip(
    image: ModelRef,
    text: ModelRef,
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
    const unet = await this.openUNet(modelDir, {
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
