/** RGBA bytes as the contract carries them (results and step previews). */
export interface RgbaBytes {
  readonly width: number
  readonly height: number
  readonly rgba: Uint8Array
}

/**
 * A canvas holding the pixels; with `regenerated` (one byte per pixel of a `maskWidth` ×
 * `maskHeight` mask, 255 = regenerated) only the regenerated part keeps its alpha, so an inpaint
 * preview shows where the model paints and leaves the rest of the picture visible.
 */
export function canvasFromRgba(
  image: RgbaBytes,
  regenerated?: { data: ArrayLike<number>; width: number; height: number },
): HTMLCanvasElement {
  const canvas = document.createElement('canvas')
  drawRgba(canvas, image, regenerated)
  return canvas
}

/** Sizes `canvas` to the image and draws it there (`regenerated` as for {@link canvasFromRgba}). */
export function drawRgba(
  canvas: HTMLCanvasElement,
  image: RgbaBytes,
  regenerated?: { data: ArrayLike<number>; width: number; height: number },
): void {
  canvas.width = image.width
  canvas.height = image.height
  const pixels = new Uint8ClampedArray(image.width * image.height * 4)
  pixels.set(image.rgba.subarray(0, pixels.length))
  if (regenerated) {
    const { data, width, height } = regenerated
    for (let y = 0; y < image.height; y++) {
      const my = Math.min(height - 1, Math.floor(((y + 0.5) * height) / image.height))
      for (let x = 0; x < image.width; x++) {
        const mx = Math.min(width - 1, Math.floor(((x + 0.5) * width) / image.width))
        const index = (y * image.width + x) * 4 + 3
        pixels[index] = ((pixels[index] ?? 0) * (data[my * width + mx] ?? 0)) / 255
      }
    }
  }
  canvas.getContext('2d')?.putImageData(new ImageData(pixels, image.width, image.height), 0, 0)
}

/**
 * The picture scaled down, aspect kept, to fit within `maxWidth` × `maxHeight` (the browser's
 * high-quality resampling); the picture itself when it fits already.
 */
export function scaledToFit(
  image: { width: number; height: number; data: Uint8ClampedArray },
  maxWidth: number,
  maxHeight: number,
): { width: number; height: number; data: Uint8ClampedArray } {
  const scale = Math.min(1, maxWidth / image.width, maxHeight / image.height)
  if (scale === 1) return image
  const width = Math.min(maxWidth, Math.max(1, Math.round(image.width * scale)))
  const height = Math.min(maxHeight, Math.max(1, Math.round(image.height * scale)))
  const source = canvasFromRgba({
    width: image.width,
    height: image.height,
    rgba: new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength),
  })
  const target = document.createElement('canvas')
  target.width = width
  target.height = height
  const context = target.getContext('2d')
  if (!context) return image
  context.imageSmoothingEnabled = true
  context.imageSmoothingQuality = 'high'
  context.drawImage(source, 0, 0, width, height)
  return { width, height, data: context.getImageData(0, 0, width, height).data }
}
