import type { SamplingSettings } from '../../../contract/generation'
import type { JobInput } from '../../../contract/jobs'
import type { GenerationRequest, GenerationSettings } from './generation'

/** The sampling settings of the contract for the panel's settings. */
export function samplingSettingsFor(settings: GenerationSettings): SamplingSettings {
  return {
    prompt: settings.prompt,
    guidanceScale: settings.guidanceScale,
    baseRespacing: settings.baseRespacing,
    upsampleRespacing: settings.upsampleRespacing,
    upsampleTemperature: settings.upsampleTemperature,
    seed: settings.seed,
    batchSize: settings.batchSize,
    ...(settings.model ? { modelId: settings.model } : {}),
    ...(settings.upsampleModel !== undefined ? { upsampleModelId: settings.upsampleModel } : {}),
    ...(settings.guidanceMode ? { guidanceMode: settings.guidanceMode } : {}),
    ...(settings.clipGuidanceScale !== undefined
      ? { clipGuidanceScale: settings.clipGuidanceScale }
      : {}),
    ...(settings.baseSampler ? { baseSampler: settings.baseSampler } : {}),
    ...(settings.upsampleSampler ? { upsampleSampler: settings.upsampleSampler } : {}),
    ...(settings.guidanceCutoff !== undefined ? { guidanceCutoff: settings.guidanceCutoff } : {}),
    ...(settings.guidanceReuseBelow !== undefined
      ? { guidanceReuseBelow: settings.guidanceReuseBelow }
      : {}),
    ...(settings.upsampleStart !== undefined ? { upsampleStart: settings.upsampleStart } : {}),
    ...(settings.unetPrecision ? { unetPrecision: settings.unetPrecision } : {}),
  }
}

/**
 * The job the app's queue runs for a captured request: the frame at the model size as RGBA bytes
 * and the keep-mask as bytes (255 = keep), as contract/jobs expects.
 */
export function jobInputFor(request: GenerationRequest): JobInput {
  const settings = samplingSettingsFor(request.settings)
  const image = {
    width: request.image.width,
    height: request.image.height,
    rgba: new Uint8Array(request.image.data),
  }
  const keepMask = request.keepMask ? new Uint8Array(request.keepMask) : undefined
  switch (request.kind) {
    case 'generate':
      return { kind: 'generate', settings }
    case 'inpaint':
      return { kind: 'inpaint', settings, image, keepMask: keepMask ?? new Uint8Array(0) }
    case 'refine':
      return {
        kind: 'refine',
        settings,
        image,
        strength: request.settings.refineStrength ?? 1,
        ...(keepMask ? { keepMask } : {}),
      }
  }
}
