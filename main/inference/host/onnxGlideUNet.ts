import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { access, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { arch, cpus, platform } from 'node:os'
import { basename, join, resolve } from 'node:path'
import * as ort from 'onnxruntime-node'

import { GlideError } from '../../../contract/errors'
import type { ExecutionProviderName } from '../../../contract/jobs'
import {
  manifestFileName,
  zModelManifest,
  type SamplingHints,
  type UNetModelManifest,
} from '../../../contract/model'
import type { GlideUNet, TextConditioning, UNetInputs } from '../../engine/glideModel'
import { glideVocabularySize } from '../../engine/onnx/glideArchitecture'
import {
  isInpaintKind,
  isUpsampleKind,
  type GlideOptions,
  type UNetKind,
} from '../../engine/glideOptions'

/** What loading needs from a U-Net model's manifest. */
export interface GlideUNetModelInfo {
  id: string
  kind: UNetKind
  options: GlideOptions
  /** File names inside the model folder by role (text_encoder, unet). */
  files: { text_encoder?: string; unet?: string }
  sampling?: SamplingHints
}

export interface LoadGlideUNetOptions {
  /** The manifest; read from `<modelDir>/model.json` when absent. */
  model?: GlideUNetModelInfo
  /**
   * Providers to try in order; CPU is tried last when every one of them fails, so the model loads
   * whenever ONNX Runtime can run at all. Default ['cpu'].
   */
  executionProviders?: readonly ExecutionProviderName[]
  /** Exactly this provider, without falling back: a provider that cannot start throws EP_UNAVAILABLE. */
  executionProvider?: ExecutionProviderName
  intraOpNumThreads?: number
  /**
   * Where optimised graphs are cached, so loads after the first skip graph optimisation (as big as
   * the model's weights; ModelCache uses modelFolderCacheDir only when told to keep them). Absent
   * or null: no cache.
   */
  cacheDir?: string | null
  /**
   * Used instead of cacheDir when that cannot be written (a model bundled in a read-only install):
   * the model's cache goes to `<userCacheDir>/ort-cache/<id>-<hash of the folder's path>`.
   */
  userCacheDir?: string
  /** Called with every output of each U-Net run (calibration reads its probe outputs here). */
  onUNetOutputs?: (read: (name: string) => Float32Array) => void
}

export interface OnnxGlideUNet extends GlideUNet {
  /** The provider the sessions run on. */
  readonly executionProvider: ExecutionProviderName
  /** Whether each session was created from a cached optimised graph. */
  readonly loadedFromCache: { textEncoder: boolean; unet: boolean }
}

const bindingProviderNames: Record<ExecutionProviderName, string> = {
  cpu: 'cpu',
  cuda: 'cuda',
  directml: 'dml',
  coreml: 'coreml',
}

/** The options every U-Net and text-encoder session is created with (benches time these). */
export function sessionOptions(
  provider: ExecutionProviderName,
  threads: number | undefined,
): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [bindingProviderNames[provider]],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    // Warnings (such as the hardware-specific note when caching an NCHWc graph) are expected here.
    logSeverityLevel: 3,
    ...(threads ? { intraOpNumThreads: threads } : {}),
    // Threads that spin between ops burn the other core a desktop app needs (and lose under contention).
    extra: { session: { intra_op: { allow_spinning: '0' } } },
    // The memory pattern makes a session's second run allocate (and fault in) one block for all
    // activations: +1.4 s on the official upsampler's second step, and nothing gained once warm.
    enableMemPattern: false,
  }
}

/** A U-Net folder's manifest: what loading needs, and all a pipeline reads before running it. */
export async function readGlideUNetModelInfo(modelDir: string): Promise<GlideUNetModelInfo> {
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(join(modelDir, manifestFileName), 'utf8'))
  } catch (error) {
    throw new GlideError(
      'MODEL_INVALID',
      `The model folder ${basename(modelDir)} has no readable ${manifestFileName}.`,
      {
        cause: error,
      },
    )
  }
  const parsed = zModelManifest.safeParse(raw)
  if (!parsed.success) {
    throw new GlideError(
      'MODEL_INVALID',
      `The manifest of ${basename(modelDir)} is invalid: ${parsed.error.message}`,
    )
  }
  const manifest = parsed.data
  if (manifest.kind === 'clip-image' || manifest.kind === 'clip-text') {
    throw new GlideError(
      'MODEL_INVALID',
      `${manifest.id} is a ${manifest.kind} model, not a GLIDE U-Net.`,
    )
  }
  const { id, kind, options, files, sampling } = manifest as UNetModelManifest
  return { id, kind, options, files, ...(sampling ? { sampling } : {}) }
}

/** A cache key that changes when the model file, ONNX Runtime, the provider or the CPU changes. */
async function cacheKey(modelPath: string, provider: ExecutionProviderName): Promise<string> {
  const modelStat = await stat(modelPath)
  const dataStat = await stat(`${modelPath}.data`).catch(() => null)
  const identity = [
    ort.env.versions.common,
    provider,
    platform(),
    arch(),
    cpus()[0]?.model ?? '',
    modelStat.size,
    modelStat.mtimeMs,
    dataStat?.size ?? 0,
    dataStat?.mtimeMs ?? 0,
  ]
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 16)
}

/** Entries for the same model file and provider under an older key (another ORT, an edited model). */
async function removeStaleCacheEntries(
  cacheDir: string,
  prefix: string,
  current: string,
): Promise<void> {
  const entry = /^[0-9a-f]{16}\.onnx(\.data)?$/
  for (const name of await readdir(cacheDir)) {
    if (
      name.startsWith(prefix) &&
      entry.test(name.slice(prefix.length)) &&
      !name.startsWith(current)
    ) {
      await rm(join(cacheDir, name), { force: true })
    }
  }
}

/** The optimised-graph cache inside a model folder, so that deleting a model deletes its cache. */
export function modelFolderCacheDir(modelDir: string): string {
  return join(modelDir, '.ort-cache')
}

/** The user-cache folder holding the caches of models in read-only folders (see writableCacheDir). */
export function userOptimisedGraphDir(userCacheDir: string): string {
  return join(userCacheDir, 'ort-cache')
}

export async function writableCacheDir(
  modelDir: string,
  modelId: string,
  options: LoadGlideUNetOptions,
): Promise<string | null> {
  if (options.cacheDir === undefined || options.cacheDir === null) return null
  const candidates = [options.cacheDir]
  if (options.userCacheDir !== undefined) {
    const folderHash = createHash('sha256').update(resolve(modelDir)).digest('hex').slice(0, 12)
    candidates.push(join(userOptimisedGraphDir(options.userCacheDir), `${modelId}-${folderHash}`))
  }
  for (const dir of candidates) {
    try {
      await mkdir(dir, { recursive: true })
      await access(dir, constants.W_OK)
      return dir
    } catch {
      // Read-only install or a file in the way: try the next place.
    }
  }
  return null
}

export function isMemoryError(error: unknown): boolean {
  return /bad_alloc|Failed to allocate|out of memory/i.test(String(error))
}

type OpenedSession = Awaited<ReturnType<typeof createSession>>

/** One ONNX file to open: its path and its cache folder (see createSession). */
export interface SessionFile {
  path: string
  cacheDir: string | null
}

/**
 * Opens two sessions on the first provider that starts both (the first is released when the second
 * fails). Running out of memory stops at once as OUT_OF_MEMORY naming `modelName`; any other
 * failure moves on to the next provider, and the last one is returned when none starts.
 */
export async function openSessionPairOnFirstProvider(
  files: [SessionFile, SessionFile],
  providers: readonly ExecutionProviderName[],
  threads: number | undefined,
  modelName: string,
): Promise<
  | { provider: ExecutionProviderName; sessions: [OpenedSession, OpenedSession] }
  | { lastError: unknown }
> {
  const [firstFile, secondFile] = files
  let lastError: unknown
  for (const provider of providers) {
    let first: OpenedSession | null = null
    try {
      first = await createSession(firstFile.path, provider, threads, firstFile.cacheDir)
      const second = await createSession(secondFile.path, provider, threads, secondFile.cacheDir)
      return { provider, sessions: [first, second] }
    } catch (error) {
      await first?.session.release().catch(() => undefined)
      if (isMemoryError(error)) {
        throw new GlideError('OUT_OF_MEMORY', `Not enough memory to load ${modelName}.`, {
          cause: error,
        })
      }
      lastError = error
    }
  }
  return { lastError }
}

/** cacheDir: a folder writableCacheDir has made and checked, or null for no cache. */
export async function createSession(
  modelPath: string,
  provider: ExecutionProviderName,
  threads: number | undefined,
  cacheDir: string | null,
): Promise<{ session: ort.InferenceSession; fromCache: boolean }> {
  const options = sessionOptions(provider, threads)
  if (cacheDir === null)
    return { session: await ort.InferenceSession.create(modelPath, options), fromCache: false }

  const cachePrefix = `${basename(modelPath, '.onnx')}.${provider}.`
  const cachedName = `${cachePrefix}${await cacheKey(modelPath, provider)}.onnx`
  const cachedPath = join(cacheDir, cachedName)
  const cached = await stat(cachedPath).catch(() => null)
  if (cached) {
    try {
      // The cached graph is already optimised; optimising it again would only cost time.
      const session = await ort.InferenceSession.create(cachedPath, {
        ...options,
        graphOptimizationLevel: 'disabled',
      })
      return { session, fromCache: true }
    } catch (error) {
      if (isMemoryError(error)) throw error
      await rm(cachedPath, { force: true })
    }
  }

  // ONNX Runtime writes the optimised graph while creating the session; it becomes the cache entry
  // (by rename) only once complete, next to its weights file, which it names.
  const partialPath = `${cachedPath}.partial`
  try {
    const session = await ort.InferenceSession.create(modelPath, {
      ...options,
      optimizedModelFilePath: partialPath,
      extra: {
        session: {
          intra_op: { allow_spinning: '0' },
          optimized_model_external_initializers_file_name: `${cachedName}.data`,
          optimized_model_external_initializers_min_size_in_bytes: '1024',
        },
      },
    })
    await rename(partialPath, cachedPath)
    await removeStaleCacheEntries(cacheDir, cachePrefix, cachedName)
    return { session, fromCache: false }
  } catch (error) {
    await rm(partialPath, { force: true }).catch(() => undefined)
    if (isMemoryError(error)) throw error
    // A cache that cannot be written (read-only folder, full disk) must not stop the model loading.
    const session = await ort.InferenceSession.create(modelPath, options)
    return { session, fromCache: false }
  }
}

function checkLength(name: string, data: ArrayLike<unknown> | undefined, expected: number): void {
  if (!data) throw new GlideError('INVALID_ARGUMENT', `This model needs ${name}.`)
  if (data.length !== expected) {
    throw new GlideError(
      'INVALID_ARGUMENT',
      `${name} has ${data.length} values; expected ${expected}.`,
    )
  }
}

export function runError(error: unknown): GlideError {
  if (error instanceof GlideError) return error
  if (isMemoryError(error)) {
    return new GlideError('OUT_OF_MEMORY', 'ONNX Runtime ran out of memory running the model.', {
      cause: error,
    })
  }
  return new GlideError('INTERNAL', `ONNX Runtime failed: ${String(error)}`, { cause: error })
}

class OnnxGlideUNetImpl implements OnnxGlideUNet {
  constructor(
    readonly id: string,
    readonly kind: UNetKind,
    readonly options: GlideOptions,
    readonly executionProvider: ExecutionProviderName,
    readonly loadedFromCache: { textEncoder: boolean; unet: boolean },
    private readonly textSession: ort.InferenceSession,
    private readonly unetSession: ort.InferenceSession,
    readonly sampling?: SamplingHints,
    private readonly onUNetOutputs?: LoadGlideUNetOptions['onUNetOutputs'],
  ) {}

  async encodeText(
    tokens: readonly number[][],
    mask: readonly boolean[][],
  ): Promise<TextConditioning> {
    const batch = tokens.length
    const ctx = this.options.text_ctx
    if (batch === 0 || mask.length !== batch) {
      throw new GlideError(
        'INVALID_ARGUMENT',
        'tokens and mask must hold the same, non-zero number of rows.',
      )
    }
    const tokenData = new BigInt64Array(batch * ctx)
    const maskData = new Uint8Array(batch * ctx)
    tokens.forEach((row, index) => {
      const maskRow = mask[index]
      checkLength('a token row', row, ctx)
      checkLength('a mask row', maskRow, ctx)
      row.forEach((token, position) => {
        if (!Number.isInteger(token) || token < 0 || token >= glideVocabularySize) {
          throw new GlideError('INVALID_ARGUMENT', `token ${token} is not in GLIDE's vocabulary`)
        }
        tokenData[index * ctx + position] = BigInt(token)
        maskData[index * ctx + position] = maskRow?.[position] ? 1 : 0
      })
    })
    try {
      const outputs = await this.textSession.run({
        tokens: new ort.Tensor('int64', tokenData, [batch, ctx]),
        mask: new ort.Tensor('bool', maskData, [batch, ctx]),
      })
      return {
        batch,
        xfProj: outputs.xf_proj?.data as Float32Array,
        xfOut: outputs.xf_out?.data as Float32Array,
      }
    } catch (error) {
      throw runError(error)
    }
  }

  async denoise(inputs: UNetInputs): Promise<Float32Array> {
    const batch = inputs.timesteps.length
    const size = this.options.image_size
    const { text } = inputs
    if (batch === 0 || text.batch !== batch) {
      throw new GlideError(
        'INVALID_ARGUMENT',
        'timesteps and the text conditioning must have the same batch.',
      )
    }
    if (inputs.timesteps.some((step) => !Number.isInteger(step) || step < 0)) {
      throw new GlideError('INVALID_ARGUMENT', 'timesteps must be non-negative integers.')
    }
    const image = 3 * size * size
    checkLength('x', inputs.x, batch * image)
    checkLength('xf_proj', text.xfProj, batch * 4 * this.options.num_channels)
    checkLength('xf_out', text.xfOut, batch * this.options.xf_width * this.options.text_ctx)
    const feeds: Record<string, ort.Tensor> = {
      x: new ort.Tensor('float32', inputs.x, [batch, 3, size, size]),
      timesteps: new ort.Tensor(
        'int64',
        BigInt64Array.from(inputs.timesteps, (step) => BigInt(step)),
        [batch],
      ),
      xf_proj: new ort.Tensor('float32', text.xfProj, [batch, 4 * this.options.num_channels]),
      xf_out: new ort.Tensor('float32', text.xfOut, [
        batch,
        this.options.xf_width,
        this.options.text_ctx,
      ]),
    }
    if (isInpaintKind(this.kind)) {
      checkLength('inpaintImage', inputs.inpaintImage, batch * image)
      checkLength('inpaintMask', inputs.inpaintMask, batch * size * size)
      feeds.inpaint_image = new ort.Tensor('float32', inputs.inpaintImage as Float32Array, [
        batch,
        3,
        size,
        size,
      ])
      feeds.inpaint_mask = new ort.Tensor('float32', inputs.inpaintMask as Float32Array, [
        batch,
        1,
        size,
        size,
      ])
    }
    if (isUpsampleKind(this.kind)) {
      const low = size / 4
      checkLength('lowRes', inputs.lowRes, batch * 3 * low * low)
      feeds.low_res = new ort.Tensor('float32', inputs.lowRes as Float32Array, [batch, 3, low, low])
    }
    try {
      const outputs = await this.unetSession.run(feeds)
      this.onUNetOutputs?.((name) => {
        const output = outputs[name]
        if (output?.type !== 'float32') throw new Error(`the model has no float output ${name}`)
        return output.data as Float32Array
      })
      return outputs.out?.data as Float32Array
    } catch (error) {
      throw runError(error)
    }
  }

  async dispose(): Promise<void> {
    await this.textSession.release()
    await this.unetSession.release()
  }
}

/**
 * A U-Net folder's two ONNX files, checked to exist, and the bytes of their weights (each graph
 * and its external data file): what a session holds in memory, give or take its working buffers.
 */
export async function glideUNetFiles(
  modelDir: string,
  model: Pick<GlideUNetModelInfo, 'files'>,
): Promise<{ textPath: string; unetPath: string; weightsBytes: number }> {
  const textPath = join(modelDir, model.files.text_encoder ?? 'text_encoder.onnx')
  const unetPath = join(modelDir, model.files.unet ?? 'unet.onnx')
  let weightsBytes = 0
  for (const path of [textPath, unetPath]) {
    const graph = await stat(path).catch(() => null)
    if (!graph?.isFile()) {
      throw new GlideError(
        'MODEL_INVALID',
        `The model folder ${basename(modelDir)} lacks ${basename(path)}.`,
      )
    }
    const data = await stat(`${path}.data`).catch(() => null)
    weightsBytes += graph.size + (data?.isFile() ? data.size : 0)
  }
  return { textPath, unetPath, weightsBytes }
}

/**
 * Opens a model folder's text_encoder.onnx and unet.onnx (by path, so weights are never copied
 * through the JS heap) as a GlideUNet on the first execution provider that starts.
 */
export async function loadGlideUNet(
  modelDir: string,
  options: LoadGlideUNetOptions = {},
): Promise<OnnxGlideUNet> {
  const model = options.model ?? (await readGlideUNetModelInfo(modelDir))
  const { textPath, unetPath } = await glideUNetFiles(modelDir, model)
  const cacheDir = await writableCacheDir(modelDir, model.id, options)
  const providers: ExecutionProviderName[] = options.executionProvider
    ? [options.executionProvider]
    : [...(options.executionProviders ?? ['cpu'])]
  if (!options.executionProvider && !providers.includes('cpu')) providers.push('cpu')

  const opened = await openSessionPairOnFirstProvider(
    [
      { path: textPath, cacheDir },
      { path: unetPath, cacheDir },
    ],
    providers,
    options.intraOpNumThreads,
    model.id,
  )
  if ('sessions' in opened) {
    const [text, unet] = opened.sessions
    return new OnnxGlideUNetImpl(
      model.id,
      model.kind,
      model.options,
      opened.provider,
      {
        textEncoder: text.fromCache,
        unet: unet.fromCache,
      },
      text.session,
      unet.session,
      model.sampling,
      options.onUNetOutputs,
    )
  }
  const { lastError } = opened
  // CPU always starts, so CPU failing means the files themselves are unusable.
  const code = providers.includes('cpu') ? 'MODEL_INVALID' : 'EP_UNAVAILABLE'
  throw new GlideError(
    code,
    `ONNX Runtime could not load ${model.id} (${providers.join(', ')}): ${String(lastError)}`,
    {
      cause: lastError,
    },
  )
}
