import { GlideError } from '../../../contract/errors'
import type { NoisedClip } from '../clip/noisedClip'
import { createSampler } from '../diffusion/samplers'
import { runSamplingLoop } from '../diffusion/samplingLoop'
import type { GlideUNet } from '../glideModel'
import type { RgbaImage } from '../images/rgbaImage'
import { SeededNoise } from '../random/noise'
import {
  diffusionFor,
  encodeCaptions,
  inpaintInputs,
  inpaintSource,
  PIPELINE_SAMPLERS,
  replaceKnownRegion,
  reportSteps,
  stageSamplers,
  unguidedStageModel,
  upsampleStage,
  type GenerationParams,
  type InpaintSource,
  type PipelineHooks,
} from './glidePipelines'

/**
 * CLIP-guided sampling as glide-text2im's clip_guided notebook runs it: the base model without
 * classifier-free guidance (one row per image, the caption on every row), and at each step the
 * mean moved by variance · scale · ∇x [exp(logit_scale)·text_emb·image_emb(x_t, t)] from the
 * noised CLIP, evaluated at x_t and the step's original timestep. The text embedding is computed
 * once per generation. The usual upsampler follows, as in text to image (or inpainting).
 * With any other base sampler (DDIM, DPM-Solver++) the same gradient enters the eps instead
 * (GLIDE's condition_score, in the sampling loop).
 *
 * Noise order (fixed, so a seed reproduces the same pixels): base x_T (N rows), each base step's
 * ancestral noise, then the upsampler's x_T and step noise exactly as in glidePipelines.
 */

export interface ClipGuidedModels {
  base: GlideUNet
  upsampler?: GlideUNet
  /** Needed at a scale above 0; at 0 the gradient moves nothing and CLIP is not run. */
  clip?: NoisedClip
}

export interface ClipGuidedParams extends GenerationParams {
  /** The CLIP gradient's scale (the notebook's guidance_scale, 3 by default). */
  clipGuidanceScale: number
}

export interface ClipGuidedInpaint {
  /** As for inpainting: the frame and its keep mask (1 = keep). */
  image: RgbaImage
  keepMask: Float32Array
}

function invalid(message: string): GlideError {
  return new GlideError('INVALID_ARGUMENT', message)
}

function check(models: ClipGuidedModels, params: ClipGuidedParams): void {
  const { base, clip } = models
  if (base.kind !== 'base' && base.kind !== 'base-inpaint') {
    throw invalid(`CLIP guidance needs a base model, not ${base.kind}.`)
  }
  if (!Number.isFinite(params.clipGuidanceScale) || params.clipGuidanceScale < 0) {
    throw invalid('The CLIP guidance scale must be a number ≥ 0.')
  }
  if (!clip && params.clipGuidanceScale > 0) {
    throw invalid(
      `CLIP guidance at scale ${params.clipGuidanceScale} needs a noised CLIP model; none was given.`,
    )
  }
  if (clip && clip.options.image_size !== base.options.image_size) {
    throw invalid(
      `The CLIP model sees ${clip.options.image_size} px images; the base model makes ${base.options.image_size} px.`,
    )
  }
  if (clip && clip.options.n_timesteps < base.options.diffusion_steps) {
    throw invalid(
      `The CLIP model knows ${clip.options.n_timesteps} timesteps; the base model has ${base.options.diffusion_steps}.`,
    )
  }
  if (!Number.isInteger(params.batchSize) || params.batchSize < 1) {
    throw invalid('The batch size must be a positive integer.')
  }
}

/** The text embedding of the caption on each row, tokenized by CLIP's BPE. */
export async function clipTextEmbedding(
  clip: NoisedClip,
  caption: string,
  rows: number,
): Promise<Float32Array> {
  const { padded, length } = clip.tokenizer.tokenize(caption, clip.options.max_text_len)
  return clip.encodeText(
    new Array<number[]>(rows).fill(padded),
    new Array<number>(rows).fill(length),
  )
}

/** GLIDE's cond_fn for CLIP guidance: scale · ∇x similarity at x_t and its original timestep. */
export function clipCondFn(
  clip: NoisedClip,
  textEmb: Float32Array,
  rows: number,
  scale: number,
): (x: Float32Array, modelTimestep: number) => Promise<Float32Array> {
  const f32Scale = Math.fround(scale)
  return async (x, modelTimestep) => {
    const gradient = await clip.imageGradient(
      x,
      new Array<number>(rows).fill(modelTimestep),
      textEmb,
    )
    return gradient.map((value) => Math.fround(value * f32Scale))
  }
}

export async function clipGuidedTextToImage(
  models: ClipGuidedModels,
  params: ClipGuidedParams,
  hooks: PipelineHooks = {},
): Promise<RgbaImage[]> {
  check(models, params)
  return clipGuidedGenerate(models, params, hooks, undefined)
}

/** CLIP guidance with the frame's kept pixels forced into every pred_x0, as inpainting does. */
export async function clipGuidedInpaint(
  models: ClipGuidedModels,
  params: ClipGuidedParams & ClipGuidedInpaint,
  hooks: PipelineHooks = {},
): Promise<RgbaImage[]> {
  check(models, params)
  const source = inpaintSource(params.image, params.keepMask, 'The image to inpaint')
  return clipGuidedGenerate(models, params, hooks, source)
}

async function clipGuidedGenerate(
  models: ClipGuidedModels,
  params: ClipGuidedParams,
  hooks: PipelineHooks,
  source: InpaintSource | undefined,
): Promise<RgbaImage[]> {
  const noise = hooks.noise ?? new SeededNoise(params.seed)
  const isCancelled = (): boolean => hooks.isCancelled?.() ?? false
  const rows = params.batchSize
  const samplers = stageSamplers(
    params,
    source ? PIPELINE_SAMPLERS.inpaint : PIPELINE_SAMPLERS.textToImage,
  )

  const { base, clip } = models
  const baseSize = base.options.image_size
  const baseDiffusion = diffusionFor(base, params.baseRespacing)
  const baseText = await encodeCaptions(base, new Array<string>(rows).fill(params.prompt))
  // At scale 0 the gradient moves nothing (mean + variance · 0 is the mean, bit for bit), so CLIP
  // is not run (nor needed): the unguided sample at the cost of the base alone.
  const condFn =
    clip && params.clipGuidanceScale > 0
      ? clipCondFn(
          clip,
          await clipTextEmbedding(clip, params.prompt, rows),
          rows,
          params.clipGuidanceScale,
        )
      : undefined
  const baseInpaint = inpaintInputs(source, baseSize, rows)
  const samples = await runSamplingLoop({
    diffusion: baseDiffusion,
    sampler: createSampler(samplers.base),
    shape: { batch: rows, channels: 3, height: baseSize, width: baseSize },
    xT: noise.normal(rows * 3 * baseSize * baseSize),
    noise,
    model: unguidedStageModel(base, baseText, baseInpaint),
    ...(condFn ? { condFn } : {}),
    ...(source ? { denoisedFn: replaceKnownRegion(baseInpaint, baseSize) } : {}),
    onStep: reportSteps(hooks, 'base', baseSize),
    isCancelled,
  })

  // The usual upsampler, exactly as in text to image (or inpainting).
  return upsampleStage(models.upsampler, params, hooks, {
    samples,
    rows,
    baseSize,
    sampler: samplers.upsample,
    source,
    noise,
  })
}
