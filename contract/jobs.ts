import { z } from 'zod'
import { zSerializedError } from './errors'
import {
  generationDefaults,
  generationLimits,
  zModelId,
  zSamplingSettings,
  zStrength,
  type SamplingSettings,
} from './generation'

export {
  generationDefaults,
  generationLimits,
  zModelId,
  zRespacing,
  zSamplingSettings,
  type SamplingSettings,
} from './generation'

/** Caps that keep one request small enough that a hostile payload cannot stall main. */
export const limits = {
  promptChars: generationLimits.promptChars,
  maxBatchSize: generationLimits.batchSize.max,
  /** Largest side of an image sent for inpainting or refining; the pipeline resizes it. */
  maxImageSide: 1024,
  maxQueuedJobs: 32,
} as const

const zSide = z.number().int().min(1).max(limits.maxImageSide)

/** Raw pixels: RGBA, 8 bits a channel, straight alpha, row-major. */
export const zRgbaImage = z
  .strictObject({ width: zSide, height: zSide, rgba: z.instanceof(Uint8Array) })
  .refine((image) => image.rgba.length === image.width * image.height * 4, {
    message: 'rgba must hold width × height × 4 bytes',
  })
export type RgbaImageData = z.infer<typeof zRgbaImage>

/** One byte per pixel of the image it goes with: 255 = keep, 0 = regenerate (GLIDE's convention). */
const zKeepMask = z.instanceof(Uint8Array)

const matchesImage = (job: { image: RgbaImageData; keepMask?: Uint8Array | undefined }) =>
  job.keepMask === undefined || job.keepMask.length === job.image.width * job.image.height

export const zGenerateJobInput = z.strictObject({
  kind: z.literal('generate'),
  settings: zSamplingSettings,
})

/**
 * Inpainting and outpainting: the frame as the models should see it and the keep-mask (painting
 * UIs invert what the user paints; transparent pixels are regenerated too).
 */
export const zInpaintJobInput = z
  .strictObject({
    kind: z.literal('inpaint'),
    settings: zSamplingSettings,
    image: zRgbaImage,
    keepMask: zKeepMask,
  })
  .refine(matchesImage, { message: 'keepMask must hold one byte per pixel of image' })

/**
 * Refine (SDEdit): the image is noised to t = strength · T and denoised with the prompt; with a
 * keepMask only its 0 pixels change, without one the whole image does.
 */
export const zRefineJobInput = z
  .strictObject({
    kind: z.literal('refine'),
    settings: zSamplingSettings,
    image: zRgbaImage,
    strength: zStrength,
    keepMask: zKeepMask.optional(),
  })
  .refine(matchesImage, { message: 'keepMask must hold one byte per pixel of image' })

export const zJobInput = z.union([zGenerateJobInput, zInpaintJobInput, zRefineJobInput])
export type JobInput = z.infer<typeof zJobInput>
export type JobKind = JobInput['kind']
export const zJobKind = z.enum(['generate', 'inpaint', 'refine']) satisfies z.ZodType<JobKind>

export const jobStates = ['queued', 'running', 'done', 'failed', 'cancelled'] as const
export const zJobState = z.enum(jobStates)
export type JobState = z.infer<typeof zJobState>

export const zExecutionProviderName = z.enum(['cpu', 'cuda', 'directml', 'coreml'])
export type ExecutionProviderName = z.infer<typeof zExecutionProviderName>

/** A result: RGBA bytes, straight alpha (files get their metadata when the user saves them). */
export const zJobImage = z.strictObject({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  rgba: z.instanceof(Uint8Array),
})
export type JobImage = z.infer<typeof zJobImage>

export const zJobResult = z.strictObject({
  images: z.array(zJobImage),
  /** The execution provider the sessions ran on. */
  provider: zExecutionProviderName,
  modelIds: z.array(zModelId),
  elapsedMs: z.number().nonnegative(),
})
export type JobResult = z.infer<typeof zJobResult>

export const zJobId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9-]+$/)

/** What the queue knows about a job; inputs are the ones captured when it was queued. */
export const zJobSummary = z.strictObject({
  id: zJobId,
  state: zJobState,
  kind: zJobKind,
  settings: zSamplingSettings,
  queuedAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  result: zJobResult.nullable(),
  error: zSerializedError.nullable(),
})
export type JobSummary = z.infer<typeof zJobSummary>

/** 'prepare': a model's 8-bit copy being made (once per model folder) before sampling. */
export const zGenerationStage = z.enum(['prepare', 'base', 'upsample'])
export type GenerationStage = z.infer<typeof zGenerationStage>

/** One event per sampler step. `preview` is the step's predicted x0, throttled (null when skipped). */
export const zJobProgress = z.strictObject({
  jobId: zJobId,
  stage: zGenerationStage,
  step: z.number().int().positive(),
  totalSteps: z.number().int().positive(),
  elapsedMs: z.number().nonnegative(),
  /** null until one step has been timed. */
  etaMs: z.number().nonnegative().nullable(),
  preview: zJobImage.nullable(),
})
export type JobProgress = z.infer<typeof zJobProgress>

/** The official notebooks' defaults. */
export const defaultSamplingSettings: Omit<SamplingSettings, 'prompt' | 'seed'> =
  generationDefaults.sampling
