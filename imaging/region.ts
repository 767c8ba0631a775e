import type { RegionSettings } from '../contract/generation'
import { boxBlur, featherInside } from './compositing'
import { intersectRects, unionRects, type Rect, type Size } from './geometry'
import { resampleRgba, type RgbaPixels } from './resample'
import { toByte } from './rounding'

/**
 * The region functions of inpainting, outpainting and refine, shared by the editor and the CLI:
 *   1. fitFrameAroundMask: the square generation frame around what is to change;
 *   2. regionInputs: what the models see of the frame (its composite through the resampler, with a
 *      keep-mask where painted and transparent pixels are "to generate");
 *   3. regionLayerPixels: a result back at the frame's size, alpha only inside the feathered region.
 */

/** The frame a new document starts with: the largest centred square up to 512 px. */
export function defaultFrame(canvas: Size): Rect {
  const side = Math.min(canvas.width, canvas.height, 512)
  return {
    x: Math.floor((canvas.width - side) / 2),
    y: Math.floor((canvas.height - side) / 2),
    width: side,
    height: side,
  }
}

export interface RgbaFrame {
  readonly width: number
  readonly height: number
  readonly data: Uint8ClampedArray
}

export interface FrameFitOptions {
  /** Context kept around the mask on each side, in document pixels (default 32). */
  readonly padding?: number
  /** The smallest side wanted (default 256, the models' usual output). */
  readonly minSide?: number
  /**
   * Where the picture has pixels (any non-transparent pixel of what is shown) inside `window`, or
   * null where it has none. Given, the frame keeps to the picture joined with the mask, so masking
   * near a picture's edge on a larger canvas does not also outpaint the empty canvas beside it.
   */
  readonly pictureBoundsIn?: (window: Rect) => Rect | null
}

/**
 * A square frame around `mask`: its longer side plus padding, at least minSide, but no larger than
 * the area it may cover unless the mask itself is; centred on the mask and moved inside that area
 * where it fits (so no transparent outside reaches the models by accident). The area is the canvas,
 * or with `pictureBoundsIn` the picture's bounds joined with the mask's.
 */
export function fitFrameAroundMask(mask: Rect, canvas: Size, options: FrameFitOptions = {}): Rect {
  const padding = Math.max(0, options.padding ?? 32)
  const minSide = Math.max(1, options.minSide ?? 256)
  const maskSide = Math.max(mask.width, mask.height, 1)
  const wanted = Math.max(maskSide + 2 * padding, minSide)
  const canvasRect = { x: 0, y: 0, width: canvas.width, height: canvas.height }
  const area = frameArea(mask, canvasRect, wanted, options.pictureBoundsIn)
  const side = Math.round(Math.min(wanted, Math.max(Math.min(area.width, area.height), maskSide)))
  return {
    x: placeSide(side, mask.x, mask.width, area.x, area.width, canvas.width),
    y: placeSide(side, mask.y, mask.height, area.y, area.height, canvas.height),
    width: side,
    height: side,
  }
}

/**
 * The canvas, or the picture joined with the mask (inside the canvas). Only the picture within
 * `wanted` of the mask is looked at: a frame never reaches further, so the rest cannot move it.
 */
function frameArea(
  mask: Rect,
  canvas: Rect,
  wanted: number,
  pictureBoundsIn: FrameFitOptions['pictureBoundsIn'],
): Rect {
  if (!pictureBoundsIn) return canvas
  const near = intersectRects(canvas, {
    x: mask.x - wanted,
    y: mask.y - wanted,
    width: mask.width + 2 * wanted,
    height: mask.height + 2 * wanted,
  })
  const picture = near ? pictureBoundsIn(near) : null
  if (!picture) return canvas
  return intersectRects(unionRects(picture, mask) ?? mask, canvas) ?? canvas
}

/**
 * Where a frame side starts on one axis: centred on the mask and inside the area where it fits,
 * else centred on the area; inside the canvas where it fits, else centred on it.
 */
function placeSide(
  side: number,
  maskStart: number,
  maskLength: number,
  areaStart: number,
  areaLength: number,
  canvasLength: number,
): number {
  if (side >= canvasLength) return Math.floor((canvasLength - side) / 2)
  const inArea =
    side >= areaLength
      ? areaStart + Math.floor((areaLength - side) / 2)
      : clamp(
          Math.round(maskStart + maskLength / 2 - side / 2),
          areaStart,
          areaStart + areaLength - side,
        )
  return clamp(inArea, 0, canvasLength - side)
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high)
}

export interface RegionInputs {
  /** The frame at the models' size, opaque (transparent parts hold a neutral fill). */
  readonly image: RgbaFrame
  /** modelWidth × modelHeight bytes, 255 = keep (a model pixel is kept only if all under it is). */
  readonly keepMask: Uint8Array
  /** Frame-sized bytes, 255 = regenerate: the painted mask joined with the transparent pixels. */
  readonly regenerate: Uint8ClampedArray
  /** Whether any pixel is to be regenerated (else there is nothing to inpaint). */
  readonly anyToGenerate: boolean
  /**
   * Whether any pixel is known (kept). With none, the frame is blank: there is nothing to inpaint
   * around, so it is text to image, not an inpaint of the whole frame.
   */
  readonly anyKnown: boolean
}

/**
 * What the models take for a frame. `composite` is the frame's pixels (transparent outside the
 * picture); `painted` is the user's mask over the frame (255 = regenerate) or null. Transparent
 * pixels (alpha 0) are never "known": they join the region to generate, which makes outpainting
 * the same operation as inpainting. Partly transparent pixels are known, over the fill colour.
 */
export function regionInputs(
  composite: RgbaPixels,
  painted: ArrayLike<number> | null,
  model: Size,
): RegionInputs {
  const { width, height, data } = composite
  const regenerate = new Uint8ClampedArray(width * height)
  let anyToGenerate = false
  let anyKnown = false
  for (let i = 0; i < regenerate.length; i++) {
    const value = (data[i * 4 + 3] ?? 0) === 0 ? 255 : (painted?.[i] ?? 0)
    regenerate[i] = value
    if (value > 0) anyToGenerate = true
    else anyKnown = true
  }
  return {
    image: opaqueModelImage(composite, model),
    keepMask: keepMaskAt(regenerate, width, height, model),
    regenerate,
    anyToGenerate,
    anyKnown,
  }
}

/**
 * Whether a frame has pixels to generate and pixels known, without resampling anything: what
 * {@link regionInputs} reports, cheap enough to ask on every change of the canvas.
 */
export function regionCoverage(
  composite: RgbaPixels,
  painted: ArrayLike<number> | null,
): { anyToGenerate: boolean; anyKnown: boolean } {
  let anyToGenerate = false
  let anyKnown = false
  const pixels = composite.width * composite.height
  for (let i = 0; i < pixels && !(anyToGenerate && anyKnown); i++) {
    if ((composite.data[i * 4 + 3] ?? 0) === 0 || (painted?.[i] ?? 0) > 0) anyToGenerate = true
    else anyKnown = true
  }
  return { anyToGenerate, anyKnown }
}

/** The mean colour of the fully opaque pixels (mid-grey when there are none). */
function meanOpaqueColour(image: RgbaPixels): [number, number, number] {
  const sums = [0, 0, 0]
  let count = 0
  for (let i = 0; i < image.width * image.height; i++) {
    if ((image.data[i * 4 + 3] ?? 0) !== 255) continue
    for (let c = 0; c < 3; c++) sums[c] = (sums[c] ?? 0) + (image.data[i * 4 + c] ?? 0)
    count++
  }
  if (count === 0) return [128, 128, 128]
  return [(sums[0] ?? 0) / count, (sums[1] ?? 0) / count, (sums[2] ?? 0) / count]
}

/** The frame through the resampler, over the mean colour of its opaque part (not black). */
function opaqueModelImage(composite: RgbaPixels, model: Size): RgbaFrame {
  const resized = resampleRgba(composite, model.width, model.height)
  const fill = meanOpaqueColour(composite)
  const data = resized.data
  for (let i = 0; i < data.length; i += 4) {
    const alpha = (data[i + 3] ?? 0) / 255
    if (alpha < 1) {
      for (let c = 0; c < 3; c++) {
        data[i + c] = toByte((data[i + c] ?? 0) * alpha + (fill[c] ?? 0) * (1 - alpha))
      }
    }
    data[i + 3] = 255
  }
  return resized
}

/** A model pixel is kept only when every frame pixel under it is fully kept. */
function keepMaskAt(
  regenerate: Uint8ClampedArray,
  width: number,
  height: number,
  model: Size,
): Uint8Array {
  const keep = new Uint8Array(model.width * model.height)
  for (let y = 0; y < model.height; y++) {
    const y0 = Math.floor((y * height) / model.height)
    const y1 = Math.max(y0 + 1, Math.ceil(((y + 1) * height) / model.height))
    for (let x = 0; x < model.width; x++) {
      const x0 = Math.floor((x * width) / model.width)
      const x1 = Math.max(x0 + 1, Math.ceil(((x + 1) * width) / model.width))
      let kept = true
      for (let sy = y0; sy < y1 && kept; sy++) {
        for (let sx = x0; sx < x1; sx++) {
          if ((regenerate[sy * width + sx] ?? 0) !== 0) {
            kept = false
            break
          }
        }
      }
      keep[y * model.width + x] = kept ? 255 : 0
    }
  }
  return keep
}

/** The automatic feather: about 1/64 of the frame's side, at least 1 px. */
export function autoFeatherPx(frame: Size): number {
  return Math.max(1, Math.round(Math.max(frame.width, frame.height) / 64))
}

/**
 * A result turned into the pixels of a new layer over the frame: the result resized to the frame
 * (Lanczos when enlarging), alpha = the region feathered inwards, and full where the frame was
 * transparent (outpainting leaves no holes). Outside the region alpha and colour are exactly 0,
 * so compositing the layer never changes a pixel that was not to be regenerated.
 */
export function regionLayerPixels(
  result: RgbaPixels,
  composite: RgbaPixels,
  regenerate: ArrayLike<number>,
  settings: RegionSettings,
): Uint8ClampedArray {
  const { width, height } = composite
  const resized = resampleRgba(result, width, height).data
  let everything = true
  for (let i = 0; i < width * height; i++) {
    if ((regenerate[i] ?? 0) !== 255) {
      everything = false
      break
    }
  }
  const radius = everything ? 0 : (settings.featherPx ?? autoFeatherPx(composite))
  const alpha = featherInside(regenerate, width, height, radius)
  for (let i = 0; i < alpha.length; i++) {
    if ((composite.data[i * 4 + 3] ?? 0) === 0) alpha[i] = (regenerate[i] ?? 0) / 255
  }
  if (settings.colourMatch && !everything) {
    matchColour(resized, composite, regenerate, colourBand(composite, settings))
  }
  for (let i = 0; i < alpha.length; i++) {
    const a = toByte((alpha[i] ?? 0) * (resized[i * 4 + 3] ?? 0))
    if (a === 0) {
      resized[i * 4] = 0
      resized[i * 4 + 1] = 0
      resized[i * 4 + 2] = 0
    }
    resized[i * 4 + 3] = a
  }
  return resized
}

/** 1 where a box of the given radius around the pixel holds any `selected` pixel. */
function dilate(selected: Float32Array, width: number, height: number, radius: number) {
  const spread = boxBlur(
    boxBlur(selected, width, height, radius, true),
    width,
    height,
    radius,
    false,
  )
  return spread.map((value) => (value > 1e-6 ? 1 : 0))
}

/**
 * The largest shift colour match applies to a channel, in levels. The drift it corrects (a fill's
 * background a little warmer or darker than the picture) is a few to ~30 levels; a larger
 * difference at the boundary means the fill put something new there, which is not to be undone.
 */
export const maxColourMatchShift = 40

/** Per-channel medians of the pixels a histogram counted (256 bins per channel). */
function channelMedians(histogram: Uint32Array, count: number): [number, number, number] {
  const medians: [number, number, number] = [0, 0, 0]
  for (let c = 0; c < 3; c++) {
    let seen = 0
    for (let level = 0; level < 256; level++) {
      seen += histogram[c * 256 + level] ?? 0
      if (2 * seen >= count) {
        medians[c] = level
        break
      }
    }
  }
  return medians
}

/**
 * The colour the fill is off from the picture at the mask's edge, per channel: the median of the
 * known opaque pixels in a band outside the region minus the fill's median in a band inside it
 * (medians, so a new object reaching the boundary does not count as the background's colour).
 * null when the region has no known pixels around it.
 */
function edgeColourShift(
  fill: ArrayLike<number>,
  composite: RgbaPixels,
  regenerate: ArrayLike<number>,
  band: number,
): [number, number, number] | null {
  const { width, height } = composite
  const plane = width * height
  const inside = new Float32Array(plane)
  const known = new Float32Array(plane)
  let anyKnown = false
  for (let i = 0; i < plane; i++) {
    const regenerated = (regenerate[i] ?? 0) > 0
    inside[i] = regenerated ? 1 : 0
    known[i] = !regenerated && (composite.data[i * 4 + 3] ?? 0) === 255 ? 1 : 0
    if (known[i] === 1) anyKnown = true
  }
  // Text to image (a frame with nothing known in it) has no edge: no dilation to pay for.
  if (!anyKnown) return null
  const nearInside = dilate(inside, width, height, band)
  const nearKnown = dilate(known, width, height, band)
  const outer = new Uint32Array(3 * 256)
  const inner = new Uint32Array(3 * 256)
  let outerCount = 0
  let innerCount = 0
  for (let i = 0; i < plane; i++) {
    if ((known[i] ?? 0) === 1 && (nearInside[i] ?? 0) === 1) {
      for (let c = 0; c < 3; c++) outer[c * 256 + (composite.data[i * 4 + c] ?? 0)]! += 1
      outerCount++
    }
    // A fill pixel with no alpha carries no colour (a layer's are zeroed there).
    if ((inside[i] ?? 0) === 1 && (nearKnown[i] ?? 0) === 1 && (fill[i * 4 + 3] ?? 0) > 0) {
      for (let c = 0; c < 3; c++) inner[c * 256 + (fill[i * 4 + c] ?? 0)]! += 1
      innerCount++
    }
  }
  if (outerCount === 0 || innerCount === 0) return null
  const around = channelMedians(outer, outerCount)
  const filled = channelMedians(inner, innerCount)
  return [around[0] - filled[0], around[1] - filled[1], around[2] - filled[2]]
}

/** Colour match: the edge's colour shift, each channel held to ±{@link maxColourMatchShift}, added to the fill. */
function matchColour(
  fill: Uint8ClampedArray,
  composite: RgbaPixels,
  regenerate: ArrayLike<number>,
  band: number,
): void {
  const shift = edgeColourShift(fill, composite, regenerate, band)
  if (!shift) return
  const held = shift.map((value) =>
    Math.max(-maxColourMatchShift, Math.min(maxColourMatchShift, value)),
  )
  for (let i = 0; i < composite.width * composite.height; i++) {
    if ((regenerate[i] ?? 0) === 0) continue
    for (let c = 0; c < 3; c++) fill[i * 4 + c] = (fill[i * 4 + c] ?? 0) + (held[c] ?? 0)
  }
}

/** The band either side of the mask's edge that colour match reads, for a frame and feather. */
function colourBand(composite: Size, settings: RegionSettings): number {
  return Math.max(4, 2 * (settings.featherPx ?? autoFeatherPx(composite)))
}

/**
 * How many levels (the largest channel) a layer made by {@link regionLayerPixels} is off from the
 * picture at the mask's edge: what Colour match would correct. 0 when the region has no edge with
 * known pixels (text to image, a whole frame).
 */
export function edgeColourMismatch(
  layer: ArrayLike<number>,
  composite: RgbaPixels,
  regenerate: ArrayLike<number>,
  settings: RegionSettings,
): number {
  const shift = edgeColourShift(layer, composite, regenerate, colourBand(composite, settings))
  return shift ? Math.max(...shift.map(Math.abs)) : 0
}
