import { z } from 'zod'
import { zSerializedError } from '../../contract/errors'
import {
  zExecutionProviderName,
  zGenerationStage,
  zJobId,
  zJobKind,
  zModelId,
  zSamplingSettings,
} from '../../contract/jobs'
import { zStrength } from '../../contract/generation'
import { zExecutionProviderChoice } from '../../contract/settings'

/**
 * Messages between main and the inference host (a utilityProcess under Electron, a forked child
 * under plain Node). Both sides parse every message they receive with these schemas.
 */

const zBytes = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'expected bytes')

export const zHostImage = z.strictObject({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  data: zBytes,
})
export type HostImage = z.infer<typeof zHostImage>

export const zModelLocation = z.strictObject({
  modelsDir: z.string().min(1).max(4096),
  id: zModelId,
})

export const zHostJob = z.strictObject({
  kind: zJobKind,
  settings: zSamplingSettings,
  /** Model folders are `<modelsDir>/<id>`; the host loads nothing from anywhere else. */
  baseModel: zModelLocation,
  upsampleModel: zModelLocation.nullable(),
  /** CLIP guidance (settings.guidanceMode 'clip'): the noised CLIP's image and text folders. */
  clipModels: z.strictObject({ image: zModelLocation, text: zModelLocation }).optional(),
  executionProvider: zExecutionProviderChoice,
  /** inpaint and refine: RGBA pixels, and one byte per pixel, 255 = keep (refine: optional). */
  image: zHostImage.optional(),
  keepMask: zBytes.optional(),
  /** refine only: t = strength · T. */
  strength: zStrength.optional(),
  /** Milliseconds between two previews; the first and the last step always get one. */
  previewIntervalMs: z.number().int().nonnegative(),
})
export type HostJob = z.infer<typeof zHostJob>

export const zToHost = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('run'), jobId: zJobId, job: zHostJob }),
  z.strictObject({ type: z.literal('cancel'), jobId: zJobId }),
  /** Close every loaded model (before main deletes a model folder: Windows cannot while open). */
  z.strictObject({ type: z.literal('releaseModels') }),
])
export type ToHost = z.infer<typeof zToHost>

export const zFromHost = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready'), pid: z.number().int() }),
  z.strictObject({
    type: z.literal('step'),
    jobId: zJobId,
    stage: zGenerationStage,
    step: z.number().int().positive(),
    totalSteps: z.number().int().positive(),
    /** The predicted x0 as RGBA, or null when throttled. */
    preview: zHostImage.nullable(),
  }),
  z.strictObject({
    type: z.literal('done'),
    jobId: zJobId,
    /** RGBA, straight alpha, at the last model's size. */
    images: z.array(zHostImage),
    provider: zExecutionProviderName,
    modelIds: z.array(zModelId),
  }),
  z.strictObject({ type: z.literal('failed'), jobId: zJobId, error: zSerializedError }),
  /** The answer to releaseModels; `released` is false when a job was running (nothing closed). */
  z.strictObject({ type: z.literal('modelsReleased'), released: z.boolean() }),
])
export type FromHost = z.infer<typeof zFromHost>
