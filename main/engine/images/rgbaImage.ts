import { GlideError } from '../../../contract/errors'
import { roundHalfEven } from '../../../imaging/rounding'

export { roundHalfEven }
/** 8-bit RGBA pixels, row-major, 4 bytes per pixel. */
export interface RgbaImage {
  width: number
  height: number
  data: Uint8Array
}

const f32 = Math.fround

/**
 * Row `row` of a [B, 3, H, W] tensor in [-1, 1] as RGBA, the way the GLIDE notebooks show samples:
 * round((x + 1)·127.5) clamped to 0..255, alpha 255.
 */
export function tensorToRgba(
  tensor: Float32Array,
  row: number,
  width: number,
  height: number,
): RgbaImage {
  const plane = width * height
  const base = row * 3 * plane
  if (base + 3 * plane > tensor.length) {
    throw new RangeError(`row ${row} is outside a tensor of ${tensor.length} values`)
  }
  const data = new Uint8Array(plane * 4)
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const scaled = roundHalfEven(f32(f32((tensor[base + c * plane + i] ?? 0) + 1) * 127.5))
      data[i * 4 + c] = Math.min(Math.max(scaled, 0), 255)
    }
    data[i * 4 + 3] = 255
  }
  return { width, height, data }
}

/** The RGB channels of an image as a [3, H, W] tensor in [-1, 1] (v / 127.5 − 1); alpha is ignored. */
export function rgbaToTensor(image: RgbaImage): Float32Array {
  assertRgba(image)
  const plane = image.width * image.height
  const tensor = new Float32Array(3 * plane)
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      tensor[c * plane + i] = f32(f32((image.data[i * 4 + c] ?? 0) / 127.5) - 1)
    }
  }
  return tensor
}

/** Throws INVALID_ARGUMENT unless `image` is a non-empty RGBA image whose data fits its size. */
export function assertRgba(image: RgbaImage, what = 'The image'): void {
  if (
    !Number.isInteger(image.width) ||
    !Number.isInteger(image.height) ||
    image.width < 1 ||
    image.height < 1 ||
    image.data.length !== image.width * image.height * 4
  ) {
    throw new GlideError(
      'INVALID_ARGUMENT',
      `${what} is not a valid RGBA image: ${image.width}×${image.height} needs ${image.width * image.height * 4} bytes, has ${image.data.length}.`,
    )
  }
}

/**
 * The upsampler's low_res conditioning as the GLIDE notebook builds it from the base samples:
 * round((x + 1)·127.5) / 127.5 − 1, in float32 (8-bit quantisation, no clamping).
 */
export function quantizeTo8Bit(tensor: Float32Array): Float32Array {
  const result = new Float32Array(tensor.length)
  for (let i = 0; i < tensor.length; i++) {
    const level = roundHalfEven(f32(f32((tensor[i] ?? 0) + 1) * 127.5))
    result[i] = f32(f32(level / 127.5) - 1)
  }
  return result
}
