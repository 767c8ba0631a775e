import type { DecodedImage } from '../../contract/documents'
import { GlideError } from '../../contract/errors'
import type { RegionSettings } from '../../contract/generation'
import { blendOver } from '../../imaging/compositing'
import { maskBounds, type Rect } from '../../imaging/geometry'
import { fitFrameAroundMask, regionInputs, regionLayerPixels } from '../../imaging/region'

/** The models' output side the frame is sent at (the pipeline resizes it for each model). */
export const modelSide = 256

/** A region of a picture prepared for a job, and how to put the result back. */
export interface PreparedRegion {
  /** The picture's size: the size of what compose returns. */
  readonly width: number
  readonly height: number
  readonly frame: Rect
  /** The frame at the model size, opaque RGBA. */
  readonly image: { width: number; height: number; rgba: Uint8Array<ArrayBuffer> }
  /** 255 = keep, at the model size; null = change the whole frame. */
  readonly keepMask: Uint8Array<ArrayBuffer> | null
  /** The picture with a result put back inside the region, at the picture's size. */
  compose(result: { width: number; height: number; rgba: Uint8Array }): Uint8Array
}

/** The pixels of `rect` (transparent where it reaches past the picture). */
function crop(picture: DecodedImage, rect: Rect): Uint8ClampedArray {
  const out = new Uint8ClampedArray(rect.width * rect.height * 4)
  for (let y = 0; y < rect.height; y++) {
    const sy = rect.y + y
    if (sy < 0 || sy >= picture.height) continue
    for (let x = 0; x < rect.width; x++) {
      const sx = rect.x + x
      if (sx < 0 || sx >= picture.width) continue
      const source = (sy * picture.width + sx) * 4
      out.set(picture.data.subarray(source, source + 4), (y * rect.width + x) * 4)
    }
  }
  return out
}

function prepare(
  picture: DecodedImage,
  frame: Rect,
  painted: Uint8ClampedArray | null,
  region: RegionSettings,
  wholeFrame: boolean,
): PreparedRegion & { anyToGenerate: boolean } {
  const composite = { width: frame.width, height: frame.height, data: crop(picture, frame) }
  const paintedInFrame = painted && cropMask(painted, picture, frame)
  const inputs = regionInputs(composite, paintedInFrame, { width: modelSide, height: modelSide })
  const regenerate = wholeFrame
    ? new Uint8ClampedArray(frame.width * frame.height).fill(255)
    : inputs.regenerate
  return {
    width: picture.width,
    height: picture.height,
    frame,
    anyToGenerate: inputs.anyToGenerate,
    image: { width: modelSide, height: modelSide, rgba: new Uint8Array(inputs.image.data) },
    keepMask: wholeFrame ? null : new Uint8Array(inputs.keepMask),
    compose(result) {
      const layer = regionLayerPixels(
        { width: result.width, height: result.height, data: result.rgba },
        composite,
        regenerate,
        region,
      )
      const out = new Uint8ClampedArray(picture.data)
      for (let y = 0; y < frame.height; y++) {
        const sy = frame.y + y
        if (sy < 0 || sy >= picture.height) continue
        const x0 = Math.max(frame.x, 0)
        const x1 = Math.min(frame.x + frame.width, picture.width)
        if (x1 <= x0) continue
        const target = (sy * picture.width + x0) * 4
        const source = (y * frame.width + (x0 - frame.x)) * 4
        blendOver(
          out.subarray(target, target + (x1 - x0) * 4),
          layer.subarray(source, source + (x1 - x0) * 4),
          1,
        )
      }
      return new Uint8Array(out.buffer)
    },
  }
}

function cropMask(mask: Uint8ClampedArray, picture: DecodedImage, frame: Rect) {
  const out = new Uint8ClampedArray(frame.width * frame.height)
  for (let y = 0; y < frame.height; y++) {
    const sy = frame.y + y
    if (sy < 0 || sy >= picture.height) continue
    for (let x = 0; x < frame.width; x++) {
      const sx = frame.x + x
      if (sx >= 0 && sx < picture.width)
        out[y * frame.width + x] = mask[sy * picture.width + sx] ?? 0
    }
  }
  return out
}

/**
 * Inpainting as the editor does it: a square frame fitted around the painted mask (and the
 * picture's transparent pixels), the models see the frame, the result goes back only inside the
 * feathered mask, and the picture keeps its size.
 */
export function inpaintRegion(
  picture: DecodedImage,
  painted: Uint8ClampedArray,
  region: RegionSettings,
): PreparedRegion {
  const toGenerate = new Uint8ClampedArray(painted.length)
  for (let i = 0; i < painted.length; i++) {
    toGenerate[i] = (picture.data[i * 4 + 3] ?? 0) === 0 ? 255 : (painted[i] ?? 0)
  }
  const bounds = maskBounds(toGenerate, picture.width, picture.height)
  if (!bounds) {
    throw new GlideError(
      'INVALID_ARGUMENT',
      'The mask selects nothing: paint it white where the picture should change.',
    )
  }
  const frame = fitFrameAroundMask(bounds, picture)
  return prepare(picture, frame, painted, region, false)
}

/**
 * Refining a whole picture: one square frame over it (centred; a picture that is not square has
 * transparent margins, which are filled too), cropped back to the picture's size.
 */
export function refineWholePicture(picture: DecodedImage, region: RegionSettings): PreparedRegion {
  const side = Math.max(picture.width, picture.height)
  const frame = {
    x: Math.floor((picture.width - side) / 2),
    y: Math.floor((picture.height - side) / 2),
    width: side,
    height: side,
  }
  return prepare(picture, frame, null, region, true)
}
