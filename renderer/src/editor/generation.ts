import type { GenerationInfo } from '../../../contract/documents'
import { compositeRect } from './compositing'
import type { Layer, RgbaImage } from './EditorDocument'
import type { Rect } from './geometry'
import type { TiledRaster } from './TiledRaster'

/** Settings of one generation job, as the prompt panel holds them. */
export interface GenerationSettings {
  readonly mode: 'inpaint' | 'text-to-image'
  readonly prompt: string
  readonly batchSize: number
  readonly guidanceScale: number
  readonly baseRespacing: string
  readonly upsampleRespacing: string
  readonly upsampleTemperature: number
  readonly seed: number
  readonly model: string
}

/**
 * Everything a queued job needs, captured when it is queued, so later edits to the canvas, mask or
 * settings do not change it. `image`/`keepMask` are what the pipeline takes; `frameMask` is the
 * painted mask over the frame at document resolution, used to place the results.
 */
export interface GenerationRequest {
  readonly id: string
  readonly documentId: string
  readonly settings: GenerationSettings
  readonly frame: Rect
  readonly image: RgbaImage
  /** GLIDE convention: 1 = keep, 0 = regenerate; modelSide² values. Text to image: all 0. */
  readonly keepMask: Float32Array
  /** frame.width × frame.height bytes, 255 = regenerate */
  readonly frameMask: Uint8ClampedArray
}

/** Reads the mask over `rect` (outside the canvas reads as unpainted). */
export function readMaskRect(mask: TiledRaster, rect: Rect): Uint8ClampedArray {
  return mask.readRect(rect)
}

/**
 * Resamples RGBA: bilinear when enlarging, area average when reducing (so a 1024 frame seen at
 * 256 does not alias).
 */
export function resampleRgba(image: RgbaImage, width: number, height: number): RgbaImage {
  if (image.width === width && image.height === height) {
    return { width, height, data: image.data.slice() }
  }
  const reduce = width < image.width || height < image.height
  const data = reduce
    ? areaAverage(image.data, image.width, image.height, width, height, 4)
    : bilinear(image.data, image.width, image.height, width, height, 4)
  return { width, height, data }
}

function bilinear(
  source: ArrayLike<number>,
  sw: number,
  sh: number,
  tw: number,
  th: number,
  channels: number,
): Uint8ClampedArray {
  const out = new Uint8ClampedArray(tw * th * channels)
  const scaleX = sw / tw
  const scaleY = sh / th
  for (let y = 0; y < th; y++) {
    const fy = Math.min(Math.max((y + 0.5) * scaleY - 0.5, 0), sh - 1)
    const y0 = Math.floor(fy)
    const y1 = Math.min(y0 + 1, sh - 1)
    const wy = fy - y0
    for (let x = 0; x < tw; x++) {
      const fx = Math.min(Math.max((x + 0.5) * scaleX - 0.5, 0), sw - 1)
      const x0 = Math.floor(fx)
      const x1 = Math.min(x0 + 1, sw - 1)
      const wx = fx - x0
      for (let c = 0; c < channels; c++) {
        const a = source[(y0 * sw + x0) * channels + c] ?? 0
        const b = source[(y0 * sw + x1) * channels + c] ?? 0
        const d = source[(y1 * sw + x0) * channels + c] ?? 0
        const e = source[(y1 * sw + x1) * channels + c] ?? 0
        out[(y * tw + x) * channels + c] =
          (a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy
      }
    }
  }
  return out
}

function areaAverage(
  source: ArrayLike<number>,
  sw: number,
  sh: number,
  tw: number,
  th: number,
  channels: number,
): Uint8ClampedArray {
  const out = new Uint8ClampedArray(tw * th * channels)
  const sums = new Float64Array(channels)
  for (let y = 0; y < th; y++) {
    const sy0 = (y * sh) / th
    const sy1 = ((y + 1) * sh) / th
    for (let x = 0; x < tw; x++) {
      const sx0 = (x * sw) / tw
      const sx1 = ((x + 1) * sw) / tw
      sums.fill(0)
      let total = 0
      for (let sy = Math.floor(sy0); sy < Math.ceil(sy1); sy++) {
        const wy = Math.min(sy + 1, sy1) - Math.max(sy, sy0)
        for (let sx = Math.floor(sx0); sx < Math.ceil(sx1); sx++) {
          const weight = wy * (Math.min(sx + 1, sx1) - Math.max(sx, sx0))
          const base = (sy * sw + sx) * channels
          for (let c = 0; c < channels; c++)
            sums[c] = (sums[c] ?? 0) + (source[base + c] ?? 0) * weight
          total += weight
        }
      }
      for (let c = 0; c < channels; c++) out[(y * tw + x) * channels + c] = (sums[c] ?? 0) / total
    }
  }
  return out
}

/**
 * The keep-mask the models take (1 = keep), at `side`×`side`, from the painted mask over a square
 * frame. A model pixel is regenerated if any document pixel under it is painted, so the model
 * always covers the whole painted area and seams fall inside the region we composite.
 */
export function keepMaskFromFrameMask(
  frameMask: Uint8ClampedArray,
  frameSide: number,
  side: number,
): Float32Array {
  const keep = new Float32Array(side * side)
  for (let y = 0; y < side; y++) {
    const sy0 = Math.floor((y * frameSide) / side)
    const sy1 = Math.max(sy0 + 1, Math.ceil(((y + 1) * frameSide) / side))
    for (let x = 0; x < side; x++) {
      const sx0 = Math.floor((x * frameSide) / side)
      const sx1 = Math.max(sx0 + 1, Math.ceil(((x + 1) * frameSide) / side))
      let painted = 0
      for (let sy = sy0; sy < sy1 && painted < 255; sy++) {
        for (let sx = sx0; sx < sx1; sx++) {
          const value = frameMask[sy * frameSide + sx] ?? 0
          if (value > painted) painted = value
        }
      }
      keep[y * side + x] = 1 - painted / 255
    }
  }
  return keep
}

/** Captures the inputs of a job from the current document state. */
export function captureGenerationRequest(
  id: string,
  document: {
    readonly id: string
    readonly width: number
    readonly height: number
    readonly layers: readonly Layer[]
    readonly mask: TiledRaster
  },
  frame: Rect,
  settings: GenerationSettings,
  modelSide = 256,
): GenerationRequest {
  if (frame.width !== frame.height) throw new RangeError('the generation frame must be square')
  const composite = compositeRect(document.layers, document, frame)
  const frameMask =
    settings.mode === 'inpaint'
      ? readMaskRect(document.mask, frame)
      : new Uint8ClampedArray(frame.width * frame.height).fill(255)
  return {
    id,
    documentId: document.id,
    settings,
    frame,
    image: resampleRgba(composite, modelSide, modelSide),
    keepMask: keepMaskFromFrameMask(frameMask, frame.width, modelSide),
    frameMask,
  }
}

/**
 * Softens the mask's edge inwards only: min(mask, box blur of mask). Where the mask is 0 the
 * result is 0, so a result can never leak outside what was painted.
 */
export function featherInside(
  mask: Uint8ClampedArray,
  width: number,
  height: number,
  radius: number,
): Float32Array {
  const out = new Float32Array(width * height)
  for (let i = 0; i < out.length; i++) out[i] = (mask[i] ?? 0) / 255
  if (radius < 1) return out
  const blurred = boxBlur(boxBlur(out, width, height, radius, true), width, height, radius, false)
  for (let i = 0; i < out.length; i++) out[i] = Math.min(out[i] ?? 0, blurred[i] ?? 0)
  return out
}

function boxBlur(
  values: Float32Array,
  width: number,
  height: number,
  radius: number,
  horizontal: boolean,
): Float32Array {
  const out = new Float32Array(values.length)
  const lines = horizontal ? height : width
  const length = horizontal ? width : height
  const stride = horizontal ? 1 : width
  const window = radius * 2 + 1
  for (let line = 0; line < lines; line++) {
    const base = horizontal ? line * width : line
    // Outside the frame counts as unpainted, so the feather also fades at the frame's border.
    let sum = 0
    for (let k = 0; k <= Math.min(radius, length - 1); k++) sum += values[base + k * stride] ?? 0
    for (let i = 0; i < length; i++) {
      out[base + i * stride] = sum / window
      const enter = i + radius + 1
      const leave = i - radius
      if (enter < length) sum += values[base + enter * stride] ?? 0
      if (leave >= 0) sum -= values[base + leave * stride] ?? 0
    }
  }
  return out
}

/**
 * Turns one model output into the pixels of a new layer over `frame`: the output resized to the
 * frame, with alpha = output alpha × the inward-feathered mask. Outside the mask alpha and colour
 * are exactly 0, so compositing the layer never changes a pixel that was not painted.
 */
export function resultLayerPixels(
  result: RgbaImage,
  frame: Rect,
  frameMask: Uint8ClampedArray,
  featherRadius: number,
): Uint8ClampedArray {
  const resized = resampleRgba(result, frame.width, frame.height).data
  const alpha = featherInside(frameMask, frame.width, frame.height, featherRadius)
  for (let i = 0; i < alpha.length; i++) {
    const a = Math.round((alpha[i] ?? 0) * (resized[i * 4 + 3] ?? 0))
    if (a === 0) {
      resized[i * 4] = 0
      resized[i * 4 + 1] = 0
      resized[i * 4 + 2] = 0
    }
    resized[i * 4 + 3] = a
  }
  return resized
}

/** The default feather: about 1/64 of the frame, at least 1 px. */
export function defaultFeatherRadius(frame: Rect, mode: GenerationSettings['mode']): number {
  if (mode === 'text-to-image') return 0
  return Math.max(1, Math.round(frame.width / 64))
}

export function generatedLayerName(settings: GenerationSettings): string {
  const prompt = settings.prompt.trim() || 'Untitled'
  return `${prompt} (${settings.seed})`
}

export function generationInfo(request: GenerationRequest, batchIndex: number): GenerationInfo {
  const { settings, frame } = request
  return {
    kind: settings.mode,
    prompt: settings.prompt,
    seed: settings.seed,
    batchIndex,
    guidanceScale: settings.guidanceScale,
    baseRespacing: settings.baseRespacing,
    upsampleRespacing: settings.upsampleRespacing,
    upsampleTemperature: settings.upsampleTemperature,
    model: settings.model,
    frame: { ...frame },
  }
}
