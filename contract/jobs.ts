import { z } from 'zod'
import { zSerializedError } from './errors'

/** Caps that keep one request small enough that a hostile payload cannot stall main. */
export const limits = {
  promptChars: 1000,
  modelIdChars: 128,
  respacingChars: 64,
  maxBatchSize: 8,
  /** Largest side of an image sent for inpainting; the pipeline resizes it for the models. */
  maxImageSide: 1024,
  maxQueuedJobs: 32,
} as const

/** A respacing string as glide-text2im writes it: "100", "fast27", "ddim25" or "10,10,3". */
export const zRespacing = z
  .string()
  .min(1)
  .max(limits.respacingChars)
  .regex(
    /^(?:fast27|ddim\d{1,4}|\d{1,4}(?:,\d{1,4})*)$/,
    'not a respacing such as "100" or "fast27"',
  )

export const zModelId = z
  .string()
  .min(1)
  .max(limits.modelIdChars)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'not a model id')

/** The settings every generation shares; defaults are the official notebooks'. */
export const zSamplingSettings = z.strictObject({
  prompt: z.string().max(limits.promptChars),
  /** The base (or base-inpaint) model; omitted means the best installed one. */
  modelId: zModelId.optional(),
  /** The upsampler; null means "stop at 64 px", omitted means the best installed one. */
  upsampleModelId: zModelId.nullable().optional(),
  guidanceScale: z.number().finite().min(0).max(50),
  baseRespacing: zRespacing,
  upsampleRespacing: zRespacing,
  upsampleTemperature: z.number().finite().min(0).max(2),
  seed: z.number().int().min(0).max(0xffffffff),
  batchSize: z.number().int().min(1).max(limits.maxBatchSize),
})
export type SamplingSettings = z.infer<typeof zSamplingSettings>

const base64Chars = (bytes: number): number => Math.ceil(bytes / 3) * 4
const zBase64 = (maxBytes: number) =>
  z
    .string()
    .max(base64Chars(maxBytes))
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64')

const maxPixels = limits.maxImageSide * limits.maxImageSide
const zSide = z.number().int().min(1).max(limits.maxImageSide)

/** Raw pixels: RGBA, 8 bits a channel, row-major, base64. */
export const zRgbaPayload = z
  .strictObject({ width: zSide, height: zSide, rgba: zBase64(maxPixels * 4) })
  .refine((image) => base64Chars(image.width * image.height * 4) === image.rgba.length, {
    message: 'rgba must hold width × height × 4 bytes',
  })
export type RgbaPayload = z.infer<typeof zRgbaPayload>

export const zGenerateJobInput = z.strictObject({
  kind: z.literal('generate'),
  settings: zSamplingSettings,
})

/**
 * Inpainting: `keepMask` holds one byte per pixel of `image`, 255 = keep, 0 = regenerate
 * (the engine's convention; painting UIs invert what the user paints).
 */
export const zInpaintJobInput = z
  .strictObject({
    kind: z.literal('inpaint'),
    settings: zSamplingSettings,
    image: zRgbaPayload,
    keepMask: zBase64(maxPixels),
  })
  .refine((job) => base64Chars(job.image.width * job.image.height) === job.keepMask.length, {
    message: 'keepMask must hold one byte per pixel of image',
  })

export const zJobInput = z.union([zGenerateJobInput, zInpaintJobInput])
export type JobInput = z.infer<typeof zJobInput>

export const jobStates = ['queued', 'running', 'done', 'failed', 'cancelled'] as const
export const zJobState = z.enum(jobStates)
export type JobState = z.infer<typeof zJobState>

export const zExecutionProviderName = z.enum(['cpu', 'cuda', 'directml', 'coreml'])
export type ExecutionProviderName = z.infer<typeof zExecutionProviderName>

export const zJobImage = z.strictObject({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** `data:image/png;base64,…` with prompt, seed and settings in a tEXt chunk. */
  pngDataUrl: z.string(),
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
  kind: z.enum(['generate', 'inpaint']),
  settings: zSamplingSettings,
  queuedAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  result: zJobResult.nullable(),
  error: zSerializedError.nullable(),
})
export type JobSummary = z.infer<typeof zJobSummary>

export const zGenerationStage = z.enum(['base', 'upsample'])
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
  preview: z.string().nullable(),
})
export type JobProgress = z.infer<typeof zJobProgress>

/** The official notebooks' defaults. */
export const defaultSamplingSettings: Omit<SamplingSettings, 'prompt' | 'seed'> = {
  guidanceScale: 3,
  baseRespacing: '100',
  upsampleRespacing: 'fast27',
  upsampleTemperature: 0.997,
  batchSize: 1,
}
