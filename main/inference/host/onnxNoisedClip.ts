import { readFile, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import * as ort from 'onnxruntime-node'

import { GlideError } from '../../../contract/errors'
import type { ExecutionProviderName } from '../../../contract/jobs'
import {
  manifestFileName,
  zModelManifest,
  type ClipModelManifest,
  type ClipOptions,
} from '../../../contract/model'
import type { NoisedClip } from '../../engine/clip/noisedClip'
import { loadClipTokenizer, type ClipTokenizer } from '../../engine/tokenizer/clipTokenizer'
import { openSessionPairOnFirstProvider, runError, writableCacheDir } from './onnxGlideUNet'

/**
 * The noised CLIP over a clip-image and a clip-text model folder: image_grad.onnx for guidance
 * (image_encoder.onnx is not needed to sample), text_encoder.onnx once per generation, CLIP's BPE
 * from the text folder. Sessions are created as the U-Nets' are (providers in order with CPU last,
 * thread policy, optimised-graph cache).
 */

export interface LoadNoisedClipOptions {
  executionProviders?: readonly ExecutionProviderName[]
  intraOpNumThreads?: number
  /** Where the optimised graphs are cached (see LoadGlideUNetOptions); absent or null: no cache. */
  cacheDir?: string | null
  userCacheDir?: string
}

export interface OnnxNoisedClip extends NoisedClip {
  readonly executionProvider: ExecutionProviderName
}

async function readClipManifest(
  modelDir: string,
  kind: 'clip-image' | 'clip-text',
): Promise<ClipModelManifest> {
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(join(modelDir, manifestFileName), 'utf8'))
  } catch (error) {
    throw new GlideError(
      'MODEL_INVALID',
      `The model folder ${basename(modelDir)} has no readable ${manifestFileName}.`,
      { cause: error },
    )
  }
  const parsed = zModelManifest.safeParse(raw)
  if (!parsed.success || parsed.data.kind !== kind) {
    throw new GlideError(
      'MODEL_INVALID',
      `${basename(modelDir)} is not a valid ${kind} model folder.`,
    )
  }
  return parsed.data as ClipModelManifest
}

async function modelFile(modelDir: string, name: string | undefined): Promise<string> {
  const path = join(modelDir, name ?? '')
  if (!name || !(await stat(path).catch(() => null))?.isFile()) {
    throw new GlideError(
      'MODEL_INVALID',
      `The model folder ${basename(modelDir)} lacks ${name ?? 'a file it needs'}.`,
    )
  }
  return path
}

function sameArchitecture(image: ClipOptions, text: ClipOptions): boolean {
  return image.n_embd === text.n_embd
}

class OnnxNoisedClipImpl implements OnnxNoisedClip {
  constructor(
    readonly imageModelId: string,
    readonly textModelId: string,
    readonly options: ClipOptions,
    private readonly textOptions: ClipOptions,
    readonly tokenizer: ClipTokenizer,
    readonly executionProvider: ExecutionProviderName,
    private readonly gradSession: ort.InferenceSession,
    private readonly textSession: ort.InferenceSession,
  ) {}

  async encodeText(tokens: readonly number[][], lens: readonly number[]): Promise<Float32Array> {
    const batch = tokens.length
    const ctx = this.textOptions.max_text_len
    if (batch === 0 || lens.length !== batch) {
      throw new GlideError('INVALID_ARGUMENT', 'tokens and lens must hold the same rows.')
    }
    const tokenData = new BigInt64Array(batch * ctx)
    tokens.forEach((row, index) => {
      if (row.length !== ctx) {
        throw new GlideError('INVALID_ARGUMENT', `a CLIP token row needs ${ctx} tokens`)
      }
      row.forEach((token, position) => {
        if (!Number.isInteger(token) || token < 0 || token >= this.textOptions.n_vocab) {
          throw new GlideError('INVALID_ARGUMENT', `token ${token} is not in CLIP's vocabulary`)
        }
        tokenData[index * ctx + position] = BigInt(token)
      })
    })
    for (const length of lens) {
      if (!Number.isInteger(length) || length < 1 || length > ctx) {
        throw new GlideError('INVALID_ARGUMENT', `a CLIP caption length must lie in 1..${ctx}`)
      }
    }
    try {
      const outputs = await this.textSession.run({
        tokens: new ort.Tensor('int64', tokenData, [batch, ctx]),
        lens: new ort.Tensor('int64', BigInt64Array.from(lens, BigInt), [batch]),
      })
      return outputs.text_emb?.data as Float32Array
    } catch (error) {
      throw runError(error)
    }
  }

  async imageGradient(
    x: Float32Array,
    timesteps: readonly number[],
    textEmb: Float32Array,
  ): Promise<Float32Array> {
    const batch = timesteps.length
    const size = this.options.image_size
    if (x.length !== batch * 3 * size * size || textEmb.length !== batch * this.options.n_embd) {
      throw new GlideError('INVALID_ARGUMENT', 'x, timesteps and text_emb disagree in size.')
    }
    for (const t of timesteps) {
      if (!Number.isInteger(t) || t < 0 || t >= this.options.n_timesteps) {
        throw new GlideError('INVALID_ARGUMENT', `timestep ${t} is outside the CLIP model's range`)
      }
    }
    try {
      const outputs = await this.gradSession.run({
        x: new ort.Tensor('float32', x, [batch, 3, size, size]),
        timesteps: new ort.Tensor('int64', BigInt64Array.from(timesteps, BigInt), [batch]),
        text_emb: new ort.Tensor('float32', textEmb, [batch, this.options.n_embd]),
      })
      return outputs.grad?.data as Float32Array
    } catch (error) {
      throw runError(error)
    }
  }

  async dispose(): Promise<void> {
    await this.gradSession.release()
    await this.textSession.release()
  }
}

/** Opens a clip-image and a clip-text folder as one NoisedClip on the first provider that starts. */
export async function loadNoisedClip(
  imageDir: string,
  textDir: string,
  options: LoadNoisedClipOptions = {},
): Promise<OnnxNoisedClip> {
  const image = await readClipManifest(imageDir, 'clip-image')
  const text = await readClipManifest(textDir, 'clip-text')
  if (!sameArchitecture(image.options, text.options)) {
    throw new GlideError(
      'MODEL_INVALID',
      `${image.id} and ${text.id} embed into different widths (${image.options.n_embd} and ${text.options.n_embd}).`,
    )
  }
  const gradPath = await modelFile(imageDir, image.files.image_grad)
  const textPath = await modelFile(textDir, text.files.text_encoder)
  const tokenizer = await loadClipTokenizer(
    text.files.bpe_merges ? await modelFile(textDir, text.files.bpe_merges) : undefined,
  )
  const cacheOptions = {
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    ...(options.userCacheDir !== undefined ? { userCacheDir: options.userCacheDir } : {}),
  }
  const imageCache = await writableCacheDir(imageDir, image.id, cacheOptions)
  const textCache = await writableCacheDir(textDir, text.id, cacheOptions)
  const providers: ExecutionProviderName[] = [...(options.executionProviders ?? ['cpu'])]
  if (!providers.includes('cpu')) providers.push('cpu')
  const opened = await openSessionPairOnFirstProvider(
    [
      { path: gradPath, cacheDir: imageCache },
      { path: textPath, cacheDir: textCache },
    ],
    providers,
    options.intraOpNumThreads,
    image.id,
  )
  if ('sessions' in opened) {
    const [grad, textSession] = opened.sessions
    return new OnnxNoisedClipImpl(
      image.id,
      text.id,
      image.options,
      text.options,
      tokenizer,
      opened.provider,
      grad.session,
      textSession.session,
    )
  }
  const { lastError } = opened
  throw new GlideError(
    'MODEL_INVALID',
    `ONNX Runtime could not load ${image.id} and ${text.id}: ${String(lastError)}`,
    { cause: lastError },
  )
}
