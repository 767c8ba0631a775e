import type { JobInput } from '../../../contract/jobs'
import { fromBase64 } from '../../../contract/wire'
import type { GenerationRequest } from './generation'

/**
 * The job the app's queue runs for a captured request. Inpainting sends the frame composite at
 * the model size and the keep-mask as bytes (255 = keep), as contract/jobs expects.
 */
export function jobInputFor(request: GenerationRequest): JobInput {
  const { settings } = request
  const sampling = {
    prompt: settings.prompt,
    guidanceScale: settings.guidanceScale,
    baseRespacing: settings.baseRespacing,
    upsampleRespacing: settings.upsampleRespacing,
    upsampleTemperature: settings.upsampleTemperature,
    seed: settings.seed,
    batchSize: settings.batchSize,
    ...(settings.model ? { modelId: settings.model } : {}),
  }
  if (settings.mode === 'text-to-image') return { kind: 'generate', settings: sampling }
  const keep = new Uint8Array(request.keepMask.length)
  for (let i = 0; i < keep.length; i++) keep[i] = Math.round((request.keepMask[i] ?? 0) * 255)
  return {
    kind: 'inpaint',
    settings: sampling,
    image: {
      width: request.image.width,
      height: request.image.height,
      rgba: new Uint8Array(request.image.data),
    },
    keepMask: keep,
  }
}

/** The bytes of a `data:…;base64,` URL (job results arrive as PNG data URLs). */
export function bytesFromDataUrl(url: string): Uint8Array<ArrayBuffer> {
  const comma = url.indexOf(',')
  if (!url.startsWith('data:') || comma < 0 || !url.slice(0, comma).endsWith(';base64')) {
    throw new Error('not a base64 data URL')
  }
  return fromBase64(url.slice(comma + 1))
}
