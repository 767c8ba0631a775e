import type { GenerationInfo } from '../../../contract/documents'
import {
  generationDefaults,
  type GenerationMode,
  type RegionSettings,
  type SamplingSettings,
} from '../../../contract/generation'
import type { JobKind } from '../../../contract/jobs'
import {
  edgeColourMismatch,
  regionCoverage,
  regionInputs,
  regionLayerPixels,
} from '../../../imaging/region'
import { resampleRgba } from '../../../imaging/resample'
import { compositeRect } from './compositing'
import type { Layer, RgbaImage } from './EditorDocument'
import type { Rect } from './geometry'
import type { TiledRaster } from './TiledRaster'

export { resampleRgba }

/** Settings of one generation job, as the prompt panel holds them. */
export interface GenerationSettings {
  readonly prompt: string
  readonly batchSize: number
  readonly guidanceScale: number
  readonly baseRespacing: string
  readonly upsampleRespacing: string
  readonly upsampleTemperature: number
  readonly seed: number
  /** The base model's id; '' = the best installed. */
  readonly model: string
  /** The upsampler's id; null = stop at the base size; omitted = the best installed. */
  readonly upsampleModel?: string | null
  readonly guidanceMode?: SamplingSettings['guidanceMode']
  readonly clipGuidanceScale?: number
  /** The speed settings (contract/generation); absent = the notebooks' behaviour. */
  readonly baseSampler?: SamplingSettings['baseSampler']
  readonly guidanceCutoff?: number
  readonly guidanceReuseBelow?: number
  readonly upsampleSampler?: SamplingSettings['upsampleSampler']
  readonly upsampleStart?: number
  readonly unetPrecision?: SamplingSettings['unetPrecision']
  /** Set to refine the frame (SDEdit, t = strength · T) instead of generating or inpainting. */
  readonly refineStrength?: number
  /** How results go back into the picture (default: contract/generation's). */
  readonly region?: RegionSettings
}

/**
 * Everything a queued job needs, captured when it is queued, so later edits to the canvas, mask or
 * settings do not change it. `image`/`keepMask` are what the models take; `composite` and
 * `regenerate` are the frame at document resolution, used to place the results.
 */
export interface GenerationRequest {
  readonly id: string
  readonly documentId: string
  /**
   * Picked from the frame: inpaint when some of it is painted or transparent and some is kept;
   * text to image when nothing in it is kept (a blank frame).
   */
  readonly kind: JobKind
  readonly settings: GenerationSettings
  readonly frame: Rect
  /** The frame's composite at the model size, opaque. */
  readonly image: RgbaImage
  /** modelSide² bytes, 255 = keep (GLIDE's convention); null = change the whole frame. */
  readonly keepMask: Uint8Array | null
  /** The frame's composite at document resolution. */
  readonly composite: RgbaImage
  /** frame.width × frame.height bytes, 255 = regenerate (painted or transparent). */
  readonly regenerate: Uint8ClampedArray
}

/** Reads the mask over `rect` (outside the canvas reads as unpainted). */
export function readMaskRect(mask: TiledRaster, rect: Rect): Uint8ClampedArray {
  return mask.readRect(rect)
}

interface DocumentState {
  readonly id: string
  readonly width: number
  readonly height: number
  readonly layers: readonly Layer[]
  readonly mask: TiledRaster
}

/**
 * What Generate does with `frame` as the document is now: refine when asked; inpaint when some of
 * the frame is painted or transparent and some is known; text to image when nothing is known (a
 * blank frame, or one painted all over) or nothing is to generate.
 */
export function generationModeOf(
  document: DocumentState,
  frame: Rect,
  refine: boolean,
): GenerationMode {
  if (refine) return 'refine'
  const coverage = regionCoverage(
    compositeRect(document.layers, document, frame),
    readMaskRect(document.mask, frame),
  )
  return coverage.anyToGenerate && coverage.anyKnown ? 'inpaint' : 'text-to-image'
}

/**
 * Captures the inputs of a job from the current document state and picks its kind: refine when
 * the settings ask for it with a strength; inpaint (or outpaint) when the frame holds painted or
 * transparent pixels next to known ones; text to image otherwise, a blank frame included. `modelSide` is the size the models' output has
 * (the upsampler's, e.g. 256 for GLIDE, 128 for GLIDE-mini); the frame is resampled to it.
 */
export function captureGenerationRequest(
  id: string,
  document: DocumentState,
  frame: Rect,
  settings: GenerationSettings,
  modelSide = 256,
): GenerationRequest {
  if (frame.width !== frame.height) throw new RangeError('the generation frame must be square')
  const composite = compositeRect(document.layers, document, frame)
  const painted = readMaskRect(document.mask, frame)
  const inputs = regionInputs(composite, painted, { width: modelSide, height: modelSide })
  const refine = settings.refineStrength !== undefined
  // Inpaint only around known pixels: a frame with none (blank or all painted) is text to image.
  const inpaint = inputs.anyToGenerate && inputs.anyKnown
  const kind: JobKind = refine ? 'refine' : inpaint ? 'inpaint' : 'generate'
  // Refine changes what is painted, or the whole frame when nothing is.
  const region = refine ? painted.some((value) => value > 0) : inpaint
  return {
    id,
    documentId: document.id,
    kind,
    settings,
    frame,
    image: inputs.image,
    keepMask: region ? inputs.keepMask : null,
    composite,
    regenerate: region
      ? inputs.regenerate
      : new Uint8ClampedArray(frame.width * frame.height).fill(255),
  }
}

/**
 * Turns one model output into the pixels of a new layer over the request's frame: resized to the
 * frame (Lanczos when enlarging), alpha = the feathered region (full over transparent pixels).
 * Outside the region alpha and colour are exactly 0, so accepting it never changes a pixel that
 * was not painted.
 */
export function resultLayerPixels(
  result: RgbaImage,
  request: GenerationRequest,
): Uint8ClampedArray {
  return regionLayerPixels(
    result,
    request.composite,
    request.regenerate,
    request.settings.region ?? generationDefaults.region,
  )
}

/**
 * How many levels a result's layer pixels are off from the picture at the mask's edge, when
 * Colour match was not asked for (0 when it was: its shift is already applied).
 */
export function resultColourMismatch(
  pixels: Uint8ClampedArray,
  request: GenerationRequest,
): number {
  const region = request.settings.region ?? generationDefaults.region
  if (region.colourMatch) return 0
  return edgeColourMismatch(pixels, request.composite, request.regenerate, region)
}

/** "prompt (seed)"; a variation of a batch of several adds its number: "prompt (seed #2)". */
export function generatedLayerName(
  settings: Pick<GenerationSettings, 'prompt' | 'seed' | 'batchSize'>,
  batchIndex: number,
): string {
  const prompt = settings.prompt.trim() || 'Untitled'
  const variation = settings.batchSize > 1 ? ` #${batchIndex + 1}` : ''
  return `${prompt} (${settings.seed}${variation})`
}

const infoKind = { generate: 'text-to-image', inpaint: 'inpaint', refine: 'refine' } as const

export function generationInfo(
  request: GenerationRequest,
  batchIndex: number,
  modelIds?: readonly string[],
): GenerationInfo {
  return generationInfoOf(request.kind, request.settings, request.frame, batchIndex, modelIds)
}

/**
 * What a layer records of the job that made it. `settings` are the panel's, or a kept result's
 * sampling settings (which name the base model as `modelId`).
 */
export function generationInfoOf(
  kind: JobKind,
  settings: GenerationSettings | SamplingSettings,
  frame: Rect,
  batchIndex: number,
  modelIds?: readonly string[],
): GenerationInfo {
  const model = 'model' in settings ? settings.model : (settings.modelId ?? '')
  return {
    kind: infoKind[kind],
    prompt: settings.prompt,
    seed: settings.seed,
    batchIndex,
    guidanceScale: settings.guidanceScale,
    baseRespacing: settings.baseRespacing,
    upsampleRespacing: settings.upsampleRespacing,
    upsampleTemperature: settings.upsampleTemperature,
    model,
    ...(modelIds && modelIds.length > 0 ? { modelIds: [...modelIds] } : {}),
    frame: { ...frame },
    ...(settings.guidanceMode ? { guidanceMode: settings.guidanceMode } : {}),
    ...(settings.clipGuidanceScale !== undefined
      ? { clipGuidanceScale: settings.clipGuidanceScale }
      : {}),
    ...(settings.baseSampler ? { baseSampler: settings.baseSampler } : {}),
    ...(settings.guidanceCutoff !== undefined ? { guidanceCutoff: settings.guidanceCutoff } : {}),
    ...(settings.guidanceReuseBelow !== undefined
      ? { guidanceReuseBelow: settings.guidanceReuseBelow }
      : {}),
    ...(settings.upsampleSampler ? { upsampleSampler: settings.upsampleSampler } : {}),
    ...(settings.upsampleStart !== undefined ? { upsampleStart: settings.upsampleStart } : {}),
    ...(settings.unetPrecision ? { unetPrecision: settings.unetPrecision } : {}),
  }
}
