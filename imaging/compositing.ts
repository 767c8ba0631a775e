/**
 * Source-over of straight-alpha RGBA `source` onto `target` (both packed, same length), with an
 * extra opacity in 0..1. Results are rounded to bytes by the Uint8ClampedArray.
 */
export function blendOver(
  target: Uint8ClampedArray,
  source: Uint8ClampedArray | Uint8Array,
  opacity: number,
): void {
  for (let i = 0; i < source.length; i += 4) {
    const sa = ((source[i + 3] ?? 0) / 255) * opacity
    if (sa === 0) continue
    if (sa === 1) {
      target[i] = source[i] ?? 0
      target[i + 1] = source[i + 1] ?? 0
      target[i + 2] = source[i + 2] ?? 0
      target[i + 3] = 255
      continue
    }
    const da = (target[i + 3] ?? 0) / 255
    const oa = sa + da * (1 - sa)
    const dw = (da * (1 - sa)) / oa
    const sw = sa / oa
    target[i] = (source[i] ?? 0) * sw + (target[i] ?? 0) * dw
    target[i + 1] = (source[i + 1] ?? 0) * sw + (target[i + 1] ?? 0) * dw
    target[i + 2] = (source[i + 2] ?? 0) * sw + (target[i + 2] ?? 0) * dw
    target[i + 3] = oa * 255
  }
}

/**
 * Softens a mask's edge inwards only: min(mask, box blur of mask), as 0..1 values. Where the mask
 * is 0 the result is 0, so whatever is weighted by it never leaks outside the mask. Outside the
 * mask's rectangle counts as unpainted, so the feather also fades at the rectangle's border.
 */
export function featherInside(
  mask: ArrayLike<number>,
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

/** A box blur of radius r along one axis; outside reads as 0. */
export function boxBlur(
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
