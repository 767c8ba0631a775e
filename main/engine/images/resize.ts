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
  return resamplePlanes(planes, channels, width, height, targetWidth, targetHeight, 'bilinear')
}
