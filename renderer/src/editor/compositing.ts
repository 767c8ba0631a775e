import { blendOver } from '../../../imaging/compositing'
import type { Layer, RgbaImage } from './EditorDocument'
import type { Rect } from './geometry'
import { intersectRects, unionRects } from './geometry'
import { tileSize } from './TiledRaster'

export { blendOver }

/** Whether a layer adds anything to the composite: shown and not fully transparent. */
export function isShown(layer: Layer): boolean {
  return layer.visible && layer.opacity > 0
}

/**
 * Composites one tile of the visible layers (bottom to top) into `out` (tile-sized RGBA). With
 * `over` the layers go over what `out` already holds (the composite of the layers under them), so
 * a composite can be resumed from a kept one, with the same result to the bit.
 */
export function compositeTile(
  layers: readonly Layer[],
  key: number,
  out: Uint8ClampedArray,
  over = false,
): boolean {
  let any = over
  for (const layer of layers) {
    if (!isShown(layer)) continue
    const tile = layer.raster.getTile(key)
    if (!tile) continue
    // The lowest contributing layer at full opacity composites over nothing: a copy.
    if (!any && layer.opacity === 1) out.set(tile)
    else {
      if (!any) out.fill(0)
      blendOver(out, tile, layer.opacity)
    }
    any = true
  }
  if (!any) out.fill(0)
  return any
}

/**
 * The composite of the visible layers inside `rect`, which may extend past the canvas (outside
 * reads as transparent). This is what the models see for a generation frame.
 */
export function compositeRect(
  layers: readonly Layer[],
  canvas: { width: number; height: number },
  rect: Rect,
): RgbaImage {
  const data = new Uint8ClampedArray(rect.width * rect.height * 4)
  const inside = intersectRects(rect, { x: 0, y: 0, width: canvas.width, height: canvas.height })
  if (!inside) return { width: rect.width, height: rect.height, data }
  const rowPixels = inside.width
  for (const layer of layers) {
    if (!isShown(layer)) continue
    const pixels = layer.raster.readRect(inside)
    for (let y = 0; y < inside.height; y++) {
      const target = ((inside.y - rect.y + y) * rect.width + (inside.x - rect.x)) * 4
      blendOver(
        data.subarray(target, target + rowPixels * 4),
        pixels.subarray(y * rowPixels * 4, (y + 1) * rowPixels * 4),
        layer.opacity,
      )
    }
  }
  return { width: rect.width, height: rect.height, data }
}

/** Where the visible layers have any non-transparent pixel inside `within`, or null. */
export function shownContentBounds(layers: readonly Layer[], within: Rect): Rect | null {
  let bounds: Rect | null = null
  for (const layer of layers) {
    if (!isShown(layer)) continue
    bounds = unionRects(bounds, layer.raster.contentBounds(within))
  }
  return bounds
}

/** Number of tiles of a canvas; handy for renderers that cache one bitmap per composite tile. */
export function tileCount(width: number, height: number): number {
  return Math.ceil(width / tileSize) * Math.ceil(height / tileSize)
}
