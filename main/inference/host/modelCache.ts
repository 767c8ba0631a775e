import { existsSync } from 'node:fs'
import { GlideError } from '../../../contract/errors'
import { readdir, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { basename, dirname, join } from 'node:path'
import type { ExecutionProviderName } from '../../../contract/jobs'
import type { ModelPrecision } from '../../../contract/generation'
import type { ExecutionProviderChoice } from '../../../contract/settings'
import type { GlideUNet } from '../../engine/glideModel'
import { listSupportedBackends } from 'onnxruntime-node'
import { defaultCacheDir } from '../../models/paths'
import { appIntraOpThreads, providerPreference } from './executionProviders'
import { buildInt8UNet, hasInt8UNet, int8ModelInfo } from './int8UNet'
import { onDemandGlideUNet } from './onDemandGlideUNet'
import {
  glideUNetFiles,
  loadGlideUNet,
  modelFolderCacheDir,
  readGlideUNetModelInfo,
  userOptimisedGraphDir,
  type LoadGlideUNetOptions,
  type OnnxGlideUNet,
} from './onnxGlideUNet'
import { loadNoisedClip, type OnnxNoisedClip } from './onnxNoisedClip'

function unetKey(
  { modelsDir, id }: ModelRef,
  choice: ExecutionProviderChoice,
  precision: ModelPrecision,
): string {
  return JSON.stringify([modelsDir, id, choice, precision])
}

/** While a model's 8-bit copy is made (see BuildInt8Options). */
export interface PrepareHooks {
  onProgress?: (run: number, runs: number) => void
  /** Checked at every calibration step: true stops it with CANCELLED, and nothing is written. */
  isCancelled?: () => boolean
}

export interface LoadedModel {
  readonly unet: OnnxGlideUNet
  readonly provider: ExecutionProviderName
  /** What runs: int8 only on CPU, and only when the 8-bit copy could be made. */
  readonly precision: ModelPrecision
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

/** The ModelRef of a model folder's path. */
export function modelRefOf(modelDir: string): ModelRef {
  return { modelsDir: dirname(modelDir), id: basename(modelDir) }
}

/**
 * Memory a loaded U-Net takes while it runs, per byte of its weights files: the weights, ONNX
 * Runtime's repacked copies and a step's activations. Measured at the official size (random
 * weights, growth of the peak RSS from before the load over three steps, 2026-12-06): upsampler
 * 1.56 in float32 (2.49 GB for 1.59 GB, one 256 px row; 1.08 in 8 bits), base 1.17 (two 64 px
 * rows); rounded up for what the rest of the process allocates meanwhile. (2.09 before the
 * sessions ran without ONNX Runtime's memory pattern.)
 */
export const memoryPerWeightByte = 1.75

export interface ModelCacheOptions {
  /** The per-user cache dir, where optimised graphs of read-only model folders used to go. */
  userCacheDir?: string
  /** Bytes of memory this process can still take; default process.availableMemory(). */
  availableMemory?: () => number
  /** Opens a U-Net folder; default loadGlideUNet (a test seam). */
  openUNet?: (modelDir: string, options: LoadGlideUNetOptions) => Promise<OnnxGlideUNet>
  /** Told when an 8-bit copy cannot be made and the float model runs instead. */
  onWarning?: (message: string) => void
}

/**
 * Loaded U-Nets by models dir, id and provider choice; a failed load is not cached.
 *
 * Sessions are made from the model folders themselves, without the optimised-graph cache: a cached
 * graph is as big as the model (1.54 GB base, 1.59 GB upsampler at the official size) and saved
 * about 3 s per model load, once per model per host process (official U-Nets, ONNX Runtime's 'all'
 * optimisation, 2 threads, shared 2-core VM: base 3.2-3.9 s from the folder against 0.8 s from the
 * cache, 1.9 against 0.45 CPU-s; upsampler 3.5-3.8 s against 0.8-0.9 s). 'extended' would load
 * in under a second without a cache but costs 3-16 % more CPU per step. Caches earlier versions
 * left behind are removed at the first load from a models dir.
 */
export class ModelCache {
  private readonly loaded = new Map<string, Promise<LoadedModel>>()
  private readonly loadedClips = new Map<string, Promise<OnnxNoisedClip>>()
  /** Providers that failed to start once are not tried again by this process (each try logs). */
  private readonly failedProviders = new Set<ExecutionProviderName>()
  private readonly userCacheDir: string
  private readonly availableMemory: () => number
  private readonly openUNet: NonNullable<ModelCacheOptions['openUNet']>
  private readonly onWarning: (message: string) => void
  /** Old optimised-graph caches removed, by models dir (and '' for the user cache dir). */
  private readonly cachesRemoved = new Map<string, Promise<void>>()

  constructor(options: ModelCacheOptions = {}) {
    this.userCacheDir = options.userCacheDir ?? defaultCacheDir()
    this.availableMemory = options.availableMemory ?? (() => process.availableMemory())
    this.openUNet = options.openUNet ?? loadGlideUNet
    this.onWarning = options.onWarning ?? ((message) => console.warn(message))
  }

  get(
    { modelsDir, id }: ModelRef,
    choice: ExecutionProviderChoice,
    precision: ModelPrecision = 'float32',
    prepare?: PrepareHooks,
  ): Promise<LoadedModel> {
    const key = unetKey({ modelsDir, id }, choice, precision)
    let entry = this.loaded.get(key)
    if (!entry) {
      entry = this.removeOldCaches([modelsDir]).then(() =>
        this.load(join(modelsDir, id), choice, precision, prepare),
      )
      entry.catch(() => this.loaded.delete(key))
      this.loaded.set(key, entry)
    }
    return entry
  }

  /** Whether the U-Net is loaded (or loading) for this provider choice and precision. */
  has(
    model: ModelRef,
    choice: ExecutionProviderChoice,
    precision: ModelPrecision = 'float32',
  ): boolean {
    return this.loaded.has(unetKey(model, choice, precision))
  }

  /**
   * As get, but a U-Net that is not loaded yet first makes room: when the memory left is below what
   * it needs (its weights × memoryPerWeightByte), every loaded model is released before it loads.
   * Call it only when no loaded model is still to run in the current job.
   */
  async getMakingRoom(
    model: ModelRef,
    choice: ExecutionProviderChoice,
    precision: ModelPrecision = 'float32',
    prepare?: PrepareHooks,
  ): Promise<LoadedModel> {
    if (!this.has(model, choice, precision)) {
      const modelDir = join(model.modelsDir, model.id)
      const { weightsBytes } = await glideUNetFiles(
        modelDir,
        await readGlideUNetModelInfo(modelDir),
      )
      if (this.availableMemory() < weightsBytes * memoryPerWeightByte) await this.releaseAll()
    }
    return this.get(model, choice, precision, prepare)
  }

  /**
   * The U-Net as the pipelines see it, opened (by getMakingRoom) at its first network call. The
   * manifest and the files are checked now, so a broken folder fails the job before any sampling.
   */
  async onDemand(
    model: ModelRef,
    choice: ExecutionProviderChoice,
    precision: ModelPrecision = 'float32',
    prepare?: PrepareHooks,
  ): Promise<GlideUNet> {
    const modelDir = join(model.modelsDir, model.id)
    const info = await readGlideUNetModelInfo(modelDir)
    await glideUNetFiles(modelDir, info)
    return onDemandGlideUNet(
      info,
      async () => (await this.getMakingRoom(model, choice, precision, prepare)).unet,
    )
  }

  /** Releases every loaded U-Net and CLIP (a later get loads it again). */
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
      entry = this.removeOldCaches([image.modelsDir, text.modelsDir]).then(() =>
        loadNoisedClip(join(image.modelsDir, image.id), join(text.modelsDir, text.id), {
          executionProviders: providerPreference(choice, process.platform).filter(
            (provider) =>
              provider === 'cpu' ||
              (!this.failedProviders.has(provider) && providerAvailable(provider)),
          ),
          intraOpNumThreads: appIntraOpThreads(),
        }),
      )
      entry.catch(() => this.loadedClips.delete(key))
      this.loadedClips.set(key, entry)
    }
    return entry
  }

  /**
   * Removes the optimised-graph caches of every model folder in these models dirs, and those of
   * read-only folders in the user cache dir, once per dir for this process. A folder that cannot
   * be changed (a read-only install) keeps its cache; the loads go on either way.
   */
  private removeOldCaches(modelsDirs: readonly string[]): Promise<void> {
    const once = (key: string, remove: () => Promise<void>) => {
      let done = this.cachesRemoved.get(key)
      if (!done) {
        done = remove().catch(() => undefined)
        this.cachesRemoved.set(key, done)
      }
      return done
    }
    return Promise.all([
      once('', () =>
        rm(userOptimisedGraphDir(this.userCacheDir), { recursive: true, force: true }),
      ),
      ...modelsDirs.map((modelsDir) =>
        once(modelsDir, async () => {
          const folders = await readdir(modelsDir, { withFileTypes: true })
          await Promise.all(
            folders
              .filter((entry) => entry.isDirectory())
              .map((entry) =>
                rm(modelFolderCacheDir(join(modelsDir, entry.name)), {
                  recursive: true,
                  force: true,
                }).catch(() => undefined),
              ),
          )
        }),
      ),
    ]).then(() => undefined)
  }

  private async load(
    modelDir: string,
    choice: ExecutionProviderChoice,
    precision: ModelPrecision,
    prepare: PrepareHooks | undefined,
  ): Promise<LoadedModel> {
    const candidates = providerPreference(choice, process.platform).filter(
      (provider) =>
        provider === 'cpu' || (!this.failedProviders.has(provider) && providerAvailable(provider)),
    )
    if (precision === 'int8' && candidates[0] === 'cpu') {
      const int8 = await this.loadInt8(modelDir, prepare)
      if (int8) return int8
    }
    // The loader tries the providers in order and falls back to CPU when none starts.
    const unet = await this.openUNet(modelDir, {
      executionProviders: candidates,
      intraOpNumThreads: appIntraOpThreads(),
    })
    for (const provider of candidates) {
      if (provider === unet.executionProvider) break
      this.failedProviders.add(provider)
    }
    return { unet, provider: unet.executionProvider, precision: 'float32' }
  }

  /** The folder's 8-bit copy on CPU, made first when missing; null when it cannot be made. */
  private async loadInt8(
    modelDir: string,
    prepare: PrepareHooks | undefined,
  ): Promise<LoadedModel | null> {
    const info = await readGlideUNetModelInfo(modelDir)
    const threads = appIntraOpThreads()
    if (!(await hasInt8UNet(modelDir, info))) {
      try {
        await buildInt8UNet(modelDir, info, {
          intraOpNumThreads: threads,
          ...prepare,
        })
      } catch (error) {
        const stops = ['OUT_OF_MEMORY', 'CANCELLED']
        if (error instanceof GlideError && stops.includes(error.code)) throw error
        this.onWarning(
          `Could not make the 8-bit copy of ${info.id} (${String(error)}); running it in float32.`,
        )
        return null
      }
    }
    const unet = await this.openUNet(modelDir, {
      model: int8ModelInfo(info),
      executionProviders: ['cpu'],
      intraOpNumThreads: threads,
    })
    return { unet, provider: unet.executionProvider, precision: 'int8' }
  }
}
