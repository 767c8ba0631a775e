import type { Editor } from '../../../editor/Editor'
import type { Rect } from '../../../editor/geometry'
import { intersectRects } from '../../../editor/geometry'
import { tileSize } from '../../../editor/TiledRaster'

/** Keys of the document tiles the viewport shows (all rasters share one tile grid). */
export function visibleTileKeys(editor: Editor): number[] {
  const document = editor.document
  const view = editor.viewport.visibleDocumentRect()
  const rect: Rect = {
    x: Math.floor(view.x),
    y: Math.floor(view.y),
    width: Math.ceil(view.width) + 1,
    height: Math.ceil(view.height) + 1,
  }
  return intersectRects(rect, document.bounds) ? document.mask.tileKeysIn(rect) : []
}

/** Draws the visible tiles' bitmaps at their document positions; `bitmapFor` may upload one. */
export function drawVisibleTiles(
  context: CanvasRenderingContext2D,
  editor: Editor,
  bitmapFor: (key: number) => HTMLCanvasElement | undefined,
): void {
  const raster = editor.document.mask
  context.imageSmoothingEnabled = editor.viewport.scale < 1
  for (const key of visibleTileKeys(editor)) {
    const bitmap = bitmapFor(key)
    if (!bitmap) continue
    const rect = raster.tileRect(key)
    context.drawImage(
      bitmap,
      0,
      0,
      rect.width,
      rect.height,
      rect.x,
      rect.y,
      rect.width,
      rect.height,
    )
  }
}

/** A reusable tile-sized RGBA buffer and the bitmaps uploaded from it, by tile key. */
export class TileBitmapStore {
  readonly pixels = new Uint8ClampedArray(tileSize * tileSize * 4)
  private readonly image = new ImageData(this.pixels, tileSize, tileSize)
  private readonly bitmaps = new Map<number, HTMLCanvasElement>()

  get(key: number): HTMLCanvasElement | undefined {
    return this.bitmaps.get(key)
  }

  /**
   * Copies `pixels` into the tile's bitmap (made on first use) and returns it: all of them, or
   * only those inside `region` (tile coordinates) of a bitmap that holds the rest already.
   */
  upload(key: number, region?: Rect): HTMLCanvasElement {
    const bitmap = this.bitmaps.get(key) ?? newTileCanvas()
    const context = bitmap.getContext('2d')
    if (region)
      context?.putImageData(this.image, 0, 0, region.x, region.y, region.width, region.height)
    else context?.putImageData(this.image, 0, 0)
    this.bitmaps.set(key, bitmap)
    return bitmap
  }

  delete(key: number): void {
    this.bitmaps.delete(key)
  }

  clear(): void {
    this.bitmaps.clear()
  }

  get size(): number {
    return this.bitmaps.size
  }
}

function newTileCanvas(): HTMLCanvasElement {
  const canvas = document.createElement('canvas')
  canvas.width = tileSize
  canvas.height = tileSize
  return canvas
}
