import { toByte } from './rounding'

/**
 * Separable resampling. Per axis: Lanczos-3 when enlarging (sharp, the windowed sinc with three
 * lobes), an area average when reducing (every source pixel counts by the share of it a target
 * pixel covers, so nothing aliases), and a copy when the size stays. Pixel centres sit at i + ½.
 */

export interface RgbaPixels {
  readonly width: number
  readonly height: number
  readonly data: Uint8Array | Uint8ClampedArray
}

/** One target pixel's source indices and their weights (summing to 1). */
interface Taps {
  readonly indices: readonly number[]
  readonly weights: readonly number[]
}

const lobes = 3

/** The Lanczos-3 kernel: sinc(x)·sinc(x/3) on (−3, 3), 0 outside. */
export function lanczos3(x: number): number {
  if (x === 0) return 1
  if (x <= -lobes || x >= lobes) return 0
  const px = Math.PI * x
  return (lobes * Math.sin(px) * Math.sin(px / lobes)) / (px * px)
}

function enlargeTaps(sourceSize: number, targetSize: number): Taps[] {
  const scale = sourceSize / targetSize
  return Array.from({ length: targetSize }, (_, i) => {
    const centre = (i + 0.5) * scale - 0.5
    const first = Math.floor(centre) - lobes + 1
    const indices: number[] = []
    const weights: number[] = []
    let total = 0
    for (let j = first; j < first + 2 * lobes; j++) {
      const weight = lanczos3(centre - j)
      if (weight === 0) continue
      indices.push(Math.min(Math.max(j, 0), sourceSize - 1))
      weights.push(weight)
      total += weight
    }
    return { indices, weights: weights.map((weight) => weight / total) }
  })
}

function reduceTaps(sourceSize: number, targetSize: number): Taps[] {
  const scale = sourceSize / targetSize
  return Array.from({ length: targetSize }, (_, i) => {
    const start = i * scale
    const end = start + scale
    const indices: number[] = []
    const weights: number[] = []
    for (let j = Math.floor(start); j < Math.min(Math.ceil(end), sourceSize); j++) {
      const coverage = Math.min(end, j + 1) - Math.max(start, j)
      if (coverage <= 0) continue
      indices.push(j)
      weights.push(coverage / scale)
    }
    return { indices, weights }
  })
}

/** Linear interpolation between the two nearest source centres (clamped at the borders). */
function bilinearTaps(sourceSize: number, targetSize: number): Taps[] {
  const scale = sourceSize / targetSize
  return Array.from({ length: targetSize }, (_, i) => {
    const centre = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), sourceSize - 1)
    const left = Math.floor(centre)
    const fraction = centre - left
    if (fraction === 0) return { indices: [left], weights: [1] }
    return {
      indices: [left, Math.min(left + 1, sourceSize - 1)],
      weights: [1 - fraction, fraction],
    }
  })
}

/** How planes are enlarged: Lanczos-3 (sharp), or bilinear where a model was trained on it. */
export type EnlargeFilter = 'lanczos3' | 'bilinear'

function axisTaps(sourceSize: number, targetSize: number, enlarge: EnlargeFilter): Taps[] | null {
  if (sourceSize === targetSize) return null
  if (targetSize < sourceSize) return reduceTaps(sourceSize, targetSize)
  return enlarge === 'bilinear'
    ? bilinearTaps(sourceSize, targetSize)
    : enlargeTaps(sourceSize, targetSize)
}

/**
 * Resizes `channels` float planes ([C, H, W]) to targetWidth×targetHeight. Lanczos can overshoot
 * the source range a little at hard edges; callers that need a range clamp.
 */
export function resamplePlanes(
  planes: Float32Array,
  channels: number,
  width: number,
  height: number,
  targetWidth: number,
  targetHeight: number,
  enlarge: EnlargeFilter = 'lanczos3',
): Float32Array {
  if (planes.length !== channels * width * height) {
    throw new RangeError(
      `${channels} planes of ${width}×${height} need ${channels * width * height} values`,
    )
  }
  if (!(targetWidth >= 1 && targetHeight >= 1)) throw new RangeError('empty target size')
  const columns = axisTaps(width, targetWidth, enlarge)
  const rows = axisTaps(height, targetHeight, enlarge)
  let horizontal: Float64Array | Float32Array = planes
  if (columns) {
    const out = new Float64Array(channels * height * targetWidth)
    for (let line = 0; line < channels * height; line++) {
      const source = line * width
      const target = line * targetWidth
      for (let x = 0; x < targetWidth; x++) {
        const taps = columns[x]
        if (!taps) continue
        let sum = 0
        for (let k = 0; k < taps.indices.length; k++) {
          sum += (planes[source + (taps.indices[k] ?? 0)] ?? 0) * (taps.weights[k] ?? 0)
        }
        out[target + x] = sum
      }
    }
    horizontal = out
  }
  const result = new Float32Array(channels * targetHeight * targetWidth)
  if (!rows) {
    result.set(horizontal)
    return result
  }
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < targetHeight; y++) {
      const taps = rows[y]
      if (!taps) continue
      const target = (c * targetHeight + y) * targetWidth
      for (let x = 0; x < targetWidth; x++) {
        let sum = 0
        for (let k = 0; k < taps.indices.length; k++) {
          const source = (c * height + (taps.indices[k] ?? 0)) * targetWidth + x
          sum += (horizontal[source] ?? 0) * (taps.weights[k] ?? 0)
        }
        result[target + x] = sum
      }
    }
  }
  return result
}

/**
 * Resizes straight-alpha RGBA. Colours are weighted by their alpha while filtering, so transparent
 * pixels (whatever colour they hold) never bleed into their neighbours.
 */
export function resampleRgba(
  image: RgbaPixels,
  targetWidth: number,
  targetHeight: number,
): { width: number; height: number; data: Uint8ClampedArray } {
  const { width, height, data } = image
  if (width === targetWidth && height === targetHeight) {
    return { width, height, data: new Uint8ClampedArray(data) }
  }
  return resampleRgbaWindow(image, targetWidth, targetHeight, {
    x: 0,
    y: 0,
    width: targetWidth,
    height: targetHeight,
  })
}

/**
 * The part `window` (inside the target) of `image` resized to targetWidth×targetHeight, as
 * {@link resampleRgba} gives it, without computing or holding the rest: a picture enlarged far
 * past the canvas costs only the canvas.
 */
export function resampleRgbaWindow(
  image: RgbaPixels,
  targetWidth: number,
  targetHeight: number,
  window: { x: number; y: number; width: number; height: number },
): { width: number; height: number; data: Uint8ClampedArray } {
  const { width, height, data } = image
  if (!(targetWidth >= 1 && targetHeight >= 1)) throw new RangeError('empty target size')
  const { x: left, y: top, width: windowWidth, height: windowHeight } = window
  if (
    !(windowWidth >= 1 && windowHeight >= 1) ||
    left < 0 ||
    top < 0 ||
    left + windowWidth > targetWidth ||
    top + windowHeight > targetHeight
  ) {
    throw new RangeError('the window must lie inside the target')
  }
  if (width === targetWidth && height === targetHeight) {
    const out = new Uint8ClampedArray(windowWidth * windowHeight * 4)
    for (let y = 0; y < windowHeight; y++) {
      const start = ((top + y) * width + left) * 4
      out.set(data.subarray(start, start + windowWidth * 4), y * windowWidth * 4)
    }
    return { width: windowWidth, height: windowHeight, data: out }
  }
  const columns = axisTaps(width, targetWidth, 'lanczos3')
  const rows = axisTaps(height, targetHeight, 'lanczos3')
  // The source rows the window's rows read.
  let firstRow = top
  let lastRow = top + windowHeight - 1
  if (rows) {
    firstRow = height
    lastRow = 0
    for (let y = top; y < top + windowHeight; y++) {
      for (const index of rows[y]?.indices ?? []) {
        firstRow = Math.min(firstRow, index)
        lastRow = Math.max(lastRow, index)
      }
    }
  }
  const rowCount = lastRow - firstRow + 1
  const windowPlane = windowWidth * windowHeight
  const out = new Uint8ClampedArray(windowPlane * 4)
  const alphas = new Float32Array(windowPlane)
  const resized = new Float32Array(windowPlane)
  // A channel at a time, alpha first (the colours are divided by it), so a large picture holds
  // one plane of each stage.
  const plane = new Float32Array(rowCount * width)
  const horizontal = new Float64Array(rowCount * windowWidth)
  for (const c of [3, 0, 1, 2]) {
    for (let row = 0; row < rowCount; row++) {
      for (let x = 0; x < width; x++) {
        const i = (firstRow + row) * width + x
        const alpha = (data[i * 4 + 3] ?? 0) / 255
        plane[row * width + x] = c === 3 ? alpha : (data[i * 4 + c] ?? 0) * alpha
      }
    }
    for (let row = 0; row < rowCount; row++) {
      const source = row * width
      const target = row * windowWidth
      for (let x = 0; x < windowWidth; x++) {
        const taps = columns?.[left + x]
        if (!taps) {
          horizontal[target + x] = plane[source + left + x] ?? 0
          continue
        }
        let sum = 0
        for (let k = 0; k < taps.indices.length; k++) {
          sum += (plane[source + (taps.indices[k] ?? 0)] ?? 0) * (taps.weights[k] ?? 0)
        }
        horizontal[target + x] = sum
      }
    }
    const target = c === 3 ? alphas : resized
    for (let y = 0; y < windowHeight; y++) {
      const start = y * windowWidth
      const taps = rows?.[top + y]
      for (let x = 0; x < windowWidth; x++) {
        if (!taps) {
          target[start + x] = horizontal[(top + y - firstRow) * windowWidth + x] ?? 0
          continue
        }
        let sum = 0
        for (let k = 0; k < taps.indices.length; k++) {
          const source = ((taps.indices[k] ?? 0) - firstRow) * windowWidth + x
          sum += (horizontal[source] ?? 0) * (taps.weights[k] ?? 0)
        }
        target[start + x] = sum
      }
    }
    for (let i = 0; i < windowPlane; i++) {
      const alpha = Math.min(alphas[i] ?? 0, 1)
      const alphaByte = toByte(alpha * 255)
      if (c === 3) out[i * 4 + 3] = alphaByte
      else if (alphaByte !== 0) out[i * 4 + c] = toByte((resized[i] ?? 0) / alpha)
    }
  }
  return { width: windowWidth, height: windowHeight, data: out }
}
