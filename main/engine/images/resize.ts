import { resamplePlanes } from '../../../imaging/resample'

/**
 * Resampling of float planes (tensors [C, H, W] or masks [H, W]) for the models: per axis an area
 * average when shrinking and bilinear interpolation (pixel centres at i + ½) when enlarging, as the
 * models' low-res inputs were made in training. Both are convex combinations, so values stay
 * within the source range (a 0..1 mask stays a 0..1 mask). The filters live in imaging/.
 */
export function resizePlanes(
  planes: Float32Array,
  channels: number,
  width: number,
  height: number,
  targetWidth: number,
  targetHeight: number,
): Float32Array {
  if (width === targetWidth && height === targetHeight) {
    if (planes.length !== channels * width * height) {
      throw new RangeError(
        `${channels} planes of ${width}×${height} need ${channels * width * height} values`,
      )
    }
    return Float32Array.from(planes)
  }
  return resamplePlanes(planes, channels, width, height, targetWidth, targetHeight, 'bilinear')
}
