import { GlideError } from '../../../contract/errors'
import {
  baseRowsPerImage,
  zSamplingSettings,
  zStrength,
  type SamplerName,
} from '../../../contract/generation'
import { GaussianDiffusion, type DenoisedFn } from '../diffusion/gaussianDiffusion'
import {
  applyGuidance,
  applyKeptGuidance,
  guidanceDirection,
  guidedModelInput,
} from '../diffusion/guidance'
import { createSampler } from '../diffusion/samplers'
import { runSamplingLoop, type LoopStep } from '../diffusion/samplingLoop'
import { respacedSchedule, respacedScheduleFrom } from '../diffusion/schedules'
import { isInpaintKind, isUpsampleKind } from '../glideOptions'
import type { GlideUNet, TextConditioning } from '../glideModel'
import {
  assertRgba,
  quantizeTo8Bit,
  rgbaToTensor,
  tensorToRgba,
  type RgbaImage,
} from '../images/rgbaImage'
import { resizePlanes } from '../images/resize'
import { SeededNoise, type NoiseSource } from '../random/noise'
import { tokenize } from '../tokenizer/gpt2Tokenizer'

/**
 * Text-to-image and inpainting with GLIDE, as the official notebooks run them (text2im.ipynb,
 * inpaint.ipynb): a 64 px base model with classifier-free guidance, then (optionally) the 256 px
 * upsampler conditioned on the 8-bit quantised base samples.
 *
 * Noise order (fixed, so a seed reproduces the same pixels): one stream from `hooks.noise` or
 * SeededNoise(params.seed), drawn in this order —
 *   1. base x_T: 2N rows [cond…, uncond…] × 3 × S × S;
 *   2. after each base model call, ancestral noise of the same size (every step, the last one too);
 *   3. upsampler x_T: N rows × 3 × 4S × 4S, multiplied by the temperature (or, with upsampleStart
 *      or for an upsampler whose manifest says `upsampleFromLowResAt`, the noise that x_T adds to
 *      the low-res image);
 *   4. after each upsampler model call, its step noise when the sampler draws any (ancestral: every
 *      step; DDIM with eta 0 and DPM-Solver++: none).
 * The optional settings change how much work each step does, never what is drawn: below the
 * guidance cutoff the base still draws noise for all 2N rows.
 *
 * Inpainting models get the known region (image × mask) as input; with a plain base or upsample
 * model `inpaint` falls back on the replacement of pred_x0 alone. An inpainting model used for text
 * to image gets an empty known region (image and mask 0), as its training allows.
 */

export type { RgbaImage } from '../images/rgbaImage'
export type { NoiseSource } from '../random/noise'

export interface StepEvent {
  stage: 'base' | 'upsample'
  /** 1-based */
  step: number
  totalSteps: number
  /** pred_x0 of the first sample, as RGBA */
  preview: RgbaImage
}

export interface PipelineHooks {
  onStep?(event: StepEvent): void
  isCancelled?(): boolean
  /** Test seam; by default SeededNoise(params.seed). */
  noise?: NoiseSource
}

export interface GenerationParams {
  prompt: string
  batchSize: number
  /** Classifier-free guidance; at 1 the base runs the caption rows alone (see guidedStageModel). */
  guidanceScale: number
  /** e.g. "100" */
  baseRespacing: string
  /** e.g. "fast27" */
  upsampleRespacing: string
  /** e.g. 0.997 */
  upsampleTemperature: number
  /** uint32 */
  seed: number
  /** The base stage's sampler; omitted = the notebooks' (PIPELINE_SAMPLERS). */
  baseSampler?: SamplerName
  /** The upsampler's sampler; omitted = the notebooks' for the mode (PIPELINE_SAMPLERS). */
  upsampleSampler?: SamplerName
  /**
   * Guidance interval: at base steps whose original timestep is below guidanceCutoff · T the model
   * runs the N conditional rows alone. Omitted or 0 = guidance at every step.
   */
  guidanceCutoff?: number
  /**
   * Guidance reuse: at base steps whose original timestep is below guidanceReuseBelow · T (and not
   * below the cutoff) the unconditional rows run at every other step; the steps between run the N
   * conditional rows alone and reuse the direction cond − uncond of the step before. Omitted or
   * 0 = both halves at every guided step, as GLIDE does.
   */
  guidanceReuseBelow?: number
  /**
   * The upsampler starts from the low-res image noised to round(upsampleStart · T) − 1, and
   * upsampleRespacing is spaced over the timesteps up to there. Omitted = the upsampler's manifest
   * hint (upsampleFromLowResAt) or pure noise.
   */
  upsampleStart?: number
}

export interface InpaintParams extends GenerationParams {
  /** The frame, any size; resized to each model's size. Alpha is ignored. */
  image: RgbaImage
  /**
   * image.width × image.height values, 1 = keep, 0 = regenerate. Soft values are allowed but the
   * models see a hard mask: a model pixel is known only where every pixel under it is fully kept.
   */
  keepMask: Float32Array
}

/** Refine (SDEdit): the image noised to t = strength · T, then denoised with the prompt. */
export interface RefineParams extends GenerationParams {
  /** The frame, any size; resized to each model's size. Alpha is ignored. */
  image: RgbaImage
  /** 0.01..1; 1 starts from (almost) pure noise. */
  strength: number
  /** Optional, as for inpaint: only the pixels not kept change. */
  keepMask?: Float32Array
}

export interface GlideModels {
  base: GlideUNet
  upsampler?: GlideUNet
}

/** The samplers the notebooks use at each stage. */
export const PIPELINE_SAMPLERS = {
  textToImage: { base: 'ancestral', upsample: 'ddim' },
  inpaint: { base: 'ancestral', upsample: 'ancestral' },
  refine: { base: 'ancestral', upsample: 'ancestral' },
} as const satisfies Record<string, StageSamplers>

export interface StageSamplers {
  base: SamplerName
  upsample: SamplerName
}

/** The params' samplers where set, the mode's notebook samplers otherwise. */
export function stageSamplers(params: GenerationParams, notebook: StageSamplers): StageSamplers {
  return {
    base: params.baseSampler ?? notebook.base,
    upsample: params.upsampleSampler ?? notebook.upsample,
  }
}

export async function textToImage(
  models: GlideModels,
  params: GenerationParams,
  hooks: PipelineHooks = {},
): Promise<RgbaImage[]> {
  validate(models, params)
  const samplers = stageSamplers(params, PIPELINE_SAMPLERS.textToImage)
  return generate(models, params, hooks, samplers, undefined, undefined)
}

/** The frame's kept pixels are forced into every pred_x0 at both sizes. */
export async function inpaint(
  models: GlideModels,
  params: InpaintParams,
  hooks: PipelineHooks = {},
): Promise<RgbaImage[]> {
  validate(models, params)
  const source = inpaintSource(params.image, params.keepMask, 'The image to inpaint')
  return generate(models, params, hooks, stageSamplers(params, PIPELINE_SAMPLERS.inpaint), source)
}

/**
 * SDEdit: the base starts from the image noised to the respaced step nearest below
 * t = strength · T and denoises from there (so it runs about strength × the base steps); with a
 * keepMask the known region is replaced as in inpainting. The upsampler stage runs as usual.
 */
export async function refine(
  models: GlideModels,
  params: RefineParams,
  hooks: PipelineHooks = {},
): Promise<RgbaImage[]> {
  validate(models, params)
  const strength = zStrength.safeParse(params.strength)
  if (!strength.success) {
    throw new GlideError('INVALID_ARGUMENT', strength.error.issues[0]?.message ?? 'Bad strength')
  }
  assertRgba(params.image, 'The image to refine')
  const source = params.keepMask
    ? inpaintSource(params.image, params.keepMask, 'The image to refine')
    : undefined
  const startTimestep = Math.round(strength.data * models.base.options.diffusion_steps) - 1
  return generate(models, params, hooks, stageSamplers(params, PIPELINE_SAMPLERS.refine), source, {
    image: rgbaToTensor(params.image),
    width: params.image.width,
    height: params.image.height,
    startTimestep: Math.max(0, startTimestep),
  })
}

export function inpaintSource(
  image: RgbaImage,
  keepMask: Float32Array,
  what: string,
): InpaintSource {
  assertRgba(image, what)
  if (keepMask.length !== image.width * image.height) {
    throw new GlideError(
      'INVALID_ARGUMENT',
      `The mask has ${keepMask.length} values; the ${image.width}×${image.height} image needs one per pixel.`,
    )
  }
  for (const value of keepMask) {
    if (!(value >= 0 && value <= 1)) {
      throw new GlideError('INVALID_ARGUMENT', 'Mask values must lie between 0 and 1.')
    }
  }
  return { image: rgbaToTensor(image), mask: keepMask, width: image.width, height: image.height }
}

export interface InpaintSource {
  /** [3, height, width] in [-1, 1] */
  image: Float32Array
  /** [height, width], 1 = keep */
  mask: Float32Array
  width: number
  height: number
}

/** Where refine starts the base stage. */
interface RefineStart {
  /** [3, height, width] in [-1, 1] */
  image: Float32Array
  width: number
  height: number
  /** The largest original timestep the base runs from. */
  startTimestep: number
}

/** The model call of one sampling stage: output [B, 6, S, S] for x at an original timestep. */
export type StageModel = (x: Float32Array, modelTimestep: number) => Promise<Float32Array>

/** The known region at one model size, repeated for `rows` rows, as the models take it. */
export interface InpaintInputs {
  /** [rows, 3, S, S]: image × mask, as the notebooks pass it */
  image: Float32Array
  /** [rows, 1, S, S], 0 or 1 */
  mask: Float32Array
}

/** A model pixel counts as known only when all of the source under it is fully kept. */
const fullyKept = 1 - 1 / 512

/**
 * The models were trained on hard masks with the known image multiplied by them: a soft value
 * would show them a darkened "known" pixel (and the replacement would darken it twice), so the
 * mask is made hard here, erring towards regenerating.
 */
function hardKeepMask(source: InpaintSource, size: number): Float32Array {
  const keep = new Float32Array(size * size)
  for (let y = 0; y < size; y++) {
    const y0 = Math.floor((y * source.height) / size)
    const y1 = Math.max(y0 + 1, Math.ceil(((y + 1) * source.height) / size))
    for (let x = 0; x < size; x++) {
      const x0 = Math.floor((x * source.width) / size)
      const x1 = Math.max(x0 + 1, Math.ceil(((x + 1) * source.width) / size))
      let kept = true
      for (let sy = y0; sy < y1 && kept; sy++) {
        for (let sx = x0; sx < x1; sx++) {
          if ((source.mask[sy * source.width + sx] ?? 0) < fullyKept) {
            kept = false
            break
          }
        }
      }
      keep[y * size + x] = kept ? 1 : 0
    }
  }
  return keep
}

export function inpaintInputs(
  source: InpaintSource | undefined,
  size: number,
  rows: number,
): InpaintInputs {
  const plane = size * size
  const image = new Float32Array(rows * 3 * plane)
  const mask = new Float32Array(rows * plane)
  if (!source) return { image, mask }
  const resizedImage = resizePlanes(source.image, 3, source.width, source.height, size, size)
  const keep = hardKeepMask(source, size)
  for (let row = 0; row < rows; row++) {
    mask.set(keep, row * plane)
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < plane; i++) {
        image[(row * 3 + c) * plane + i] = Math.fround(
          (resizedImage[c * plane + i] ?? 0) * (keep[i] ?? 0),
        )
      }
    }
  }
  return { image, mask }
}

/** The notebooks' denoised_fn: x0·(1 − mask) + image·mask, for every row. */
export function replaceKnownRegion(inputs: InpaintInputs, size: number): DenoisedFn {
  const f32 = Math.fround
  const plane = size * size
  return (predXstart) => {
    const rows = predXstart.length / (3 * plane)
    for (let row = 0; row < rows; row++) {
      for (let c = 0; c < 3; c++) {
        const base = (row * 3 + c) * plane
        for (let i = 0; i < plane; i++) {
          const keep = inputs.mask[row * plane + i] ?? 0
          predXstart[base + i] = f32(
            f32((predXstart[base + i] ?? 0) * f32(1 - keep)) +
              f32((inputs.image[base + i] ?? 0) * keep),
          )
        }
      }
    }
  }
}

/**
 * The stage model of the base: classifier-free guidance over [cond…, uncond…] rows. Below the
 * guidance cutoff (original timestep < guidanceCutoff · T) the model runs the N conditional rows
 * alone and their output stands for both halves, so the sampler still sees 2N rows.
 * Between the cutoff and guidanceReuseBelow · T the unconditional rows run at every other step:
 * a step after one that ran both halves runs the conditional rows alone and reuses that step's
 * direction cond − uncond (applyKeptGuidance).
 * At scale 1 the guided eps uncond + 1 · (cond − uncond) is the conditional eps, so no step runs the
 * unconditional rows: the same samples up to float32 rounding, at half the rows.
 */
export function guidedStageModel(
  unet: GlideUNet,
  text: TextConditioning,
  guidanceScale: number,
  known: InpaintInputs,
  guidanceCutoff = 0,
  guidanceReuseBelow = 0,
): StageModel {
  const size = unet.options.image_size
  const model = unguidedStageModel(unet, text, known)
  const unguidedBelow =
    baseRowsPerImage({ guidanceScale }) === 1
      ? Number.POSITIVE_INFINITY
      : guidanceCutoff * unet.options.diffusion_steps
  const reuseBelow = guidanceReuseBelow * unet.options.diffusion_steps
  const conditional =
    unguidedBelow > 0 || reuseBelow > 0
      ? unguidedStageModel(unet, conditionalText(text), {
          image: firstHalf(known.image),
          mask: firstHalf(known.mask),
        })
      : undefined
  /** The direction of the last step, when it ran both halves. */
  let keptDirection: Float32Array | undefined
  return async (x, timestep) => {
    if (conditional && timestep < unguidedBelow) {
      const output = await conditional(firstHalf(x), timestep)
      const both = new Float32Array(2 * output.length)
      both.set(output, 0)
      both.set(output, output.length)
      return both
    }
    if (conditional && keptDirection && timestep < reuseBelow) {
      const direction = keptDirection
      keptDirection = undefined
      const output = await conditional(firstHalf(x), timestep)
      return applyKeptGuidance(output, direction, 3, size * size, guidanceScale)
    }
    const output = await model(guidedModelInput(x, 3 * size * size), timestep)
    if (reuseBelow > 0) keptDirection = guidanceDirection(output, 3, size * size)
    return applyGuidance(output, 3, size * size, guidanceScale)
  }
}

/** The first half of a [2N, …] row-major tensor (a copy: the models take whole buffers). */
function firstHalf(tensor: Float32Array): Float32Array {
  if (tensor.length % 2 !== 0) throw new RangeError('a guided batch has an even number of rows')
  return tensor.slice(0, tensor.length / 2)
}

/** The conditional half of the [cond…, uncond…] captions' encoding. */
function conditionalText(text: TextConditioning): TextConditioning {
  if (text.batch % 2 !== 0) throw new RangeError('a guided batch has an even number of rows')
  return { batch: text.batch / 2, xfProj: firstHalf(text.xfProj), xfOut: firstHalf(text.xfOut) }
}

/**
 * A stage model without classifier-free guidance: every row conditioned on its caption, the known
 * region for inpainting models, and low_res for upsamplers.
 */
export function unguidedStageModel(
  unet: GlideUNet,
  text: TextConditioning,
  known: InpaintInputs,
  lowRes?: Float32Array,
): StageModel {
  return (x, timestep) =>
    unet.denoise({
      x,
      timesteps: new Array<number>(text.batch).fill(timestep),
      text,
      ...(lowRes ? { lowRes } : {}),
      ...(isInpaintKind(unet.kind) ? { inpaintImage: known.image, inpaintMask: known.mask } : {}),
    })
}

export async function encodeCaptions(
  model: GlideUNet,
  captions: readonly string[],
): Promise<TextConditioning> {
  const textCtx = model.options.text_ctx
  const tokenized = await Promise.all(captions.map((caption) => tokenize(caption, textCtx)))
  return model.encodeText(
    tokenized.map((t) => t.padded),
    tokenized.map((t) => t.mask),
  )
}

export function diffusionFor(
  model: GlideUNet,
  respacing: string,
  maxTimestep?: number,
): GaussianDiffusion {
  const { noise_schedule, diffusion_steps } = model.options
  return new GaussianDiffusion(
    respacedSchedule(noise_schedule, diffusion_steps, respacing, maxTimestep),
  )
}

/**
 * The upsampler's chain when it starts from the noised low-res image at round(start · T) − 1
 * (at least 0): the respacing spaced over the timesteps up to there.
 */
export function diffusionFromStart(
  model: GlideUNet,
  respacing: string,
  start: number,
): GaussianDiffusion {
  const { noise_schedule, diffusion_steps } = model.options
  return new GaussianDiffusion(
    respacedScheduleFrom(
      noise_schedule,
      diffusion_steps,
      respacing,
      upsampleStartTimestep(start, diffusion_steps),
    ),
  )
}

export function upsampleStartTimestep(start: number, diffusionSteps: number): number {
  return Math.max(0, Math.round(start * diffusionSteps) - 1)
}

/** q_sample at the chain's noisiest step: √ᾱ·image + √(1 − ᾱ)·noise. */
export function noisedAtFirstStep(
  diffusion: GaussianDiffusion,
  image: Float32Array,
  noise: Float32Array,
): Float32Array {
  const alphaCumprod = diffusion.alphasCumprod[diffusion.numTimesteps - 1] ?? 0
  const imageScale = Math.sqrt(alphaCumprod)
  const noiseScale = Math.sqrt(1 - alphaCumprod)
  return image.map((value, i) => Math.fround(imageScale * value + noiseScale * (noise[i] ?? 0)))
}

async function generate(
  models: GlideModels,
  params: GenerationParams,
  hooks: PipelineHooks,
  samplers: StageSamplers,
  source: InpaintSource | undefined,
  start?: RefineStart,
): Promise<RgbaImage[]> {
  const noise = hooks.noise ?? new SeededNoise(params.seed)
  const isCancelled = (): boolean => hooks.isCancelled?.() ?? false
  const rows = params.batchSize

  // Base stage: 2N rows [cond…, uncond…], classifier-free guidance.
  const base = models.base
  const baseSize = base.options.image_size
  const basePlane = 3 * baseSize * baseSize
  const baseDiffusion = diffusionFor(base, params.baseRespacing, start?.startTimestep)
  const baseText = await encodeCaptions(base, [
    ...new Array<string>(rows).fill(params.prompt),
    ...new Array<string>(rows).fill(''),
  ])
  const baseInpaint = inpaintInputs(source, baseSize, 2 * rows)
  const baseShape = { batch: 2 * rows, channels: 3, height: baseSize, width: baseSize }
  const baseNoise = noise.normal(2 * rows * basePlane)
  const baseXT = start
    ? noisedAtFirstStep(
        baseDiffusion,
        repeatRows(
          resizePlanes(start.image, 3, start.width, start.height, baseSize, baseSize),
          2 * rows,
        ),
        baseNoise,
      )
    : baseNoise
  const baseSamples = await runSamplingLoop({
    diffusion: baseDiffusion,
    sampler: createSampler(samplers.base),
    shape: baseShape,
    xT: baseXT,
    noise,
    model: guidedStageModel(
      base,
      baseText,
      params.guidanceScale,
      baseInpaint,
      params.guidanceCutoff,
      params.guidanceReuseBelow,
    ),
    ...(source ? { denoisedFn: replaceKnownRegion(baseInpaint, baseSize) } : {}),
    onStep: reportSteps(hooks, 'base', baseSize),
    isCancelled,
  })
  const samples = baseSamples.slice(0, rows * basePlane)

  return upsampleStage(models.upsampler, params, hooks, {
    samples,
    rows,
    baseSize,
    sampler: samplers.upsample,
    source,
    noise,
  })
}

/** The base stage's samples as the upsampler stage takes them, and how it samples. */
export interface UpsampleStageInput {
  samples: Float32Array
  rows: number
  baseSize: number
  sampler: SamplerName
  source: InpaintSource | undefined
  /** The generation's noise source, already advanced past the base stage. */
  noise: NoiseSource
}

/**
 * Upsampler stage: N rows, no guidance, conditioned on the 8-bit quantised base samples. Without
 * an upsampler the base samples are the images.
 */
export async function upsampleStage(
  upsampler: GlideUNet | undefined,
  params: GenerationParams,
  hooks: PipelineHooks,
  { samples, rows, baseSize, sampler, source, noise }: UpsampleStageInput,
): Promise<RgbaImage[]> {
  if (!upsampler) return toImages(samples, rows, baseSize)
  const isCancelled = (): boolean => hooks.isCancelled?.() ?? false
  if (isCancelled()) throw new GlideError('CANCELLED', 'The generation was cancelled.')
  const upSize = upsampler.options.image_size
  const lowResSize = upSize / 4
  const upPlane = 3 * upSize * upSize
  const lowRes = quantizeTo8Bit(resizeRows(samples, rows, baseSize, lowResSize))
  const startAt = upsampler.sampling?.upsampleFromLowResAt
  const upDiffusion =
    params.upsampleStart === undefined
      ? diffusionFor(upsampler, params.upsampleRespacing, startAt)
      : diffusionFromStart(upsampler, params.upsampleRespacing, params.upsampleStart)
  const upText = await encodeCaptions(upsampler, new Array<string>(rows).fill(params.prompt))
  const upInpaint = inpaintInputs(source, upSize, rows)
  const upNoise = noise.normal(rows * upPlane)
  let upXT: Float32Array
  if (startAt === undefined && params.upsampleStart === undefined) {
    const temperature = Math.fround(params.upsampleTemperature)
    upXT = upNoise.map((value) => Math.fround(value * temperature))
  } else {
    const start = resizeRows(lowRes, rows, lowResSize, upSize)
    if (source) replaceKnownRegion(upInpaint, upSize)(start)
    upXT = noisedAtFirstStep(upDiffusion, start, upNoise)
  }
  const upSamples = await runSamplingLoop({
    diffusion: upDiffusion,
    sampler: createSampler(sampler),
    shape: { batch: rows, channels: 3, height: upSize, width: upSize },
    xT: upXT,
    noise,
    model: unguidedStageModel(upsampler, upText, upInpaint, lowRes),
    ...(source ? { denoisedFn: replaceKnownRegion(upInpaint, upSize) } : {}),
    onStep: reportSteps(hooks, 'upsample', upSize),
    isCancelled,
  })
  return toImages(upSamples, rows, upSize)
}

/** Passes each loop step to hooks.onStep, previewing the first sample's pred_x0 at `size`. */
export function reportSteps(
  hooks: PipelineHooks,
  stage: StepEvent['stage'],
  size: number,
): (step: LoopStep) => void {
  return (step) =>
    hooks.onStep?.({
      stage,
      step: step.step,
      totalSteps: step.totalSteps,
      preview: tensorToRgba(step.predXstart, 0, size, size),
    })
}

function repeatRows(row: Float32Array, rows: number): Float32Array {
  const result = new Float32Array(rows * row.length)
  for (let index = 0; index < rows; index++) result.set(row, index * row.length)
  return result
}

export function resizeRows(
  tensor: Float32Array,
  rows: number,
  size: number,
  target: number,
): Float32Array {
  if (size === target) return tensor
  const result = new Float32Array(rows * 3 * target * target)
  for (let row = 0; row < rows; row++) {
    const plane = tensor.subarray(row * 3 * size * size, (row + 1) * 3 * size * size)
    result.set(resizePlanes(plane, 3, size, size, target, target), row * 3 * target * target)
  }
  return result
}

function toImages(tensor: Float32Array, rows: number, size: number): RgbaImage[] {
  return Array.from({ length: rows }, (_, row) => tensorToRgba(tensor, row, size, size))
}

/** The settings the pipeline reads, checked with the one schema (contract/generation). */
const zPipelineSettings = zSamplingSettings.pick({
  prompt: true,
  batchSize: true,
  guidanceScale: true,
  baseRespacing: true,
  upsampleRespacing: true,
  upsampleTemperature: true,
  seed: true,
  baseSampler: true,
  upsampleSampler: true,
  guidanceCutoff: true,
  guidanceReuseBelow: true,
  upsampleStart: true,
})

function validate(models: GlideModels, params: GenerationParams): void {
  const invalid = (message: string): never => {
    throw new GlideError('INVALID_ARGUMENT', message)
  }
  if (isUpsampleKind(models.base.kind)) {
    invalid(`The base model "${models.base.id}" is an upsampler (${models.base.kind}).`)
  }
  if (models.upsampler && !isUpsampleKind(models.upsampler.kind)) {
    invalid(`The upsampler "${models.upsampler.id}" is a ${models.upsampler.kind} model.`)
  }
  if (models.upsampler && models.upsampler.options.image_size % 4 !== 0) {
    invalid('The upsampler image size must be a multiple of 4.')
  }
  const checked = zPipelineSettings.safeParse({
    prompt: params.prompt,
    batchSize: params.batchSize,
    guidanceScale: params.guidanceScale,
    baseRespacing: params.baseRespacing,
    upsampleRespacing: params.upsampleRespacing,
    upsampleTemperature: params.upsampleTemperature,
    seed: params.seed,
    baseSampler: params.baseSampler,
    upsampleSampler: params.upsampleSampler,
    guidanceCutoff: params.guidanceCutoff,
    guidanceReuseBelow: params.guidanceReuseBelow,
    upsampleStart: params.upsampleStart,
  })
  if (!checked.success) invalid(checked.error.issues[0]?.message ?? 'Invalid settings.')
  for (const [name, respacing] of [
    ['base', params.baseRespacing],
    ['upsampler', params.upsampleRespacing],
  ] as const) {
    const model = name === 'base' ? models.base : models.upsampler
    if (!model) continue
    try {
      const { noise_schedule, diffusion_steps } = model.options
      if (name === 'upsampler' && params.upsampleStart !== undefined) {
        const last = upsampleStartTimestep(params.upsampleStart, diffusion_steps)
        respacedScheduleFrom(noise_schedule, diffusion_steps, respacing, last)
      } else {
        respacedSchedule(noise_schedule, diffusion_steps, respacing)
      }
    } catch (error) {
      invalid(`The ${name} step setting "${respacing}" is invalid: ${(error as Error).message}`)
    }
  }
}
