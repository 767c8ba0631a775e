import type { JobImage } from '../../../contract/jobs'
import type { RgbaImage } from '../editor/EditorDocument'

/** Bytes from main as the editor's RGBA (a view on the same bytes, no copy). */
export function asRgba(image: { width: number; height: number; data: Uint8Array }): RgbaImage {
  return {
    width: image.width,
    height: image.height,
    data: new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.byteLength),
  }
}

/** A job's result as the editor's pipelines take it (a view on the same bytes). */
export function resultImage(image: JobImage): RgbaImage {
  return asRgba({ width: image.width, height: image.height, data: image.rgba })
}
