/**
 * Resampling of float planes (tensors [C, H, W] or masks [H, W]) without any native code: separable,
 * per axis an area average (box filter with fractional coverage) when shrinking and bilinear
 * interpolation with pixel centres at i + ½ when enlarging. Both are convex combinations, so values
 * stay within the source range (a 0..1 mask stays a 0..1 mask).
 */
interface Tap {
  index: number
  weight: number
}

function axisTaps(sourceSize: number, targetSize: number): Tap[][] {
  const scale = sourceSize / targetSize
  const taps: Tap[][] = []
  for (let i = 0; i < targetSize; i++) {
    if (scale > 1) {
      const start = i * scale
      const end = start + scale
      const row: Tap[] = []
      for (let j = Math.floor(start); j < Math.min(Math.ceil(end), sourceSize); j++) {
        const coverage = Math.min(end, j + 1) - Math.max(start, j)
        if (coverage > 0) row.push({ index: j, weight: coverage / scale })
      }
      taps.push(row)
    } else {
      const centre = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), sourceSize - 1)
      const left = Math.floor(centre)
      const right = Math.min(left + 1, sourceSize - 1)
      const fraction = centre - left
      taps.push(
        fraction === 0
          ? [{ index: left, weight: 1 }]
          : [
              { index: left, weight: 1 - fraction },
              { index: right, weight: fraction },
            ],
      )
    }
  }
  return taps
}

/** Resizes `channels` planes of width×height to targetWidth×targetHeight. */
export function resizePlanes(
  planes: Float32Array,
  channels: number,
  width: number,
  height: number,
  targetWidth: number,
  targetHeight: number,
): Float32Array {
  if (planes.length !== channels * width * height) {
    throw new RangeError(
      `${channels} planes of ${width}×${height} need ${channels * width * height} values`,
    )
  }
  if (width === targetWidth && height === targetHeight) return Float32Array.from(planes)
  const columnTaps = axisTaps(width, targetWidth)
  const rowTaps = axisTaps(height, targetHeight)
  const horizontal = new Float64Array(channels * height * targetWidth)
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < height; y++) {
      const sourceRow = (c * height + y) * width
      const targetRow = (c * height + y) * targetWidth
      for (let x = 0; x < targetWidth; x++) {
        let sum = 0
        for (const tap of columnTaps[x] ?? [])
          sum += (planes[sourceRow + tap.index] ?? 0) * tap.weight
        horizontal[targetRow + x] = sum
      }
    }
  }
  const result = new Float32Array(channels * targetHeight * targetWidth)
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < targetHeight; y++) {
      const targetRow = (c * targetHeight + y) * targetWidth
      for (let x = 0; x < targetWidth; x++) {
        let sum = 0
        for (const tap of rowTaps[y] ?? []) {
          sum += (horizontal[(c * height + tap.index) * targetWidth + x] ?? 0) * tap.weight
        }
        result[targetRow + x] = sum
      }
    }
  }
  return result
}
