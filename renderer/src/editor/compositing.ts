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

/** All of a tile, in the tile's own pixel coordinates. */
export const wholeTile: Rect = { x: 0, y: 0, width: tileSize, height: tileSize }

/**
 * The byte ranges [start, end) of a tile-sized RGBA array that `region` (tile coordinates) covers:
 * one per row, or a single one when the region spans the tile's whole width.
 */
export function tileRowRanges(region: Rect): [number, number][] {
  const rowBytes = tileSize * 4
  if (region.x === 0 && region.width === tileSize)
    return [[region.y * rowBytes, (region.y + region.height) * rowBytes]]
  const ranges: [number, number][] = []
  for (let y = region.y; y < region.y + region.height; y++) {
    const start = y * rowBytes + region.x * 4
    ranges.push([start, start + region.width * 4])
  }
  return ranges
}

/**
 * Composites one tile of the visible layers (bottom to top) into `out` (tile-sized RGBA), only
 * inside `within` (tile coordinates; the whole tile by default): the rest of `out` is left as it
 * is. With `over` the layers go over what `out` already holds (the composite of the layers under
 * them), so a composite can be resumed from a kept one, with the same result to the bit. False
 * when no visible layer holds pixels in this tile.
 */
export function compositeTile(
  layers: readonly Layer[],
  key: number,
  out: Uint8ClampedArray,
  options: { over?: boolean; within?: Rect } = {},
): boolean {
  const over = options.over ?? false
  const sources: { tile: Uint8ClampedArray; opacity: number }[] = []
  for (const layer of layers) {
    const tile = isShown(layer) ? layer.raster.getTile(key) : undefined
    if (tile) sources.push({ tile, opacity: layer.opacity })
  }
  for (const [start, end] of tileRowRanges(options.within ?? wholeTile)) {
    const target = out.subarray(start, end)
    if (!over && sources.length === 0) target.fill(0)
    sources.forEach(({ tile, opacity }, index) => {
      const source = tile.subarray(start, end)
      const lowest = index === 0 && !over
      // The lowest contributing layer at full opacity composites over nothing: a copy.
      if (lowest && opacity === 1) target.set(source)
      else {
        if (lowest) target.fill(0)
        blendOver(target, source, opacity)
      }
    })
  }
  return over || sources.length > 0
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
