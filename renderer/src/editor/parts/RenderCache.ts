import { compositeTile, isShown, tileRowRanges, wholeTile } from '../compositing'
import type { EditorDocument, Layer, RgbaImage } from '../EditorDocument'
import type { Rect } from '../geometry'
import { intersectRects, unionRects } from '../geometry'
import { tileSize } from '../TiledRaster'
import type { ChangeNotifier } from './ChangeNotifier'

/** Tiles whose composite or mask changed since a view last looked. */
export interface DirtyTiles {
  /** Redraw everything (after structural changes such as reordering, visibility, canvas size). */
  all: boolean
  composite: number[]
  /** For each tile of `composite`, the part of it that changed (tile coordinates). */
  compositeRegions: ReadonlyMap<number, Rect>
  mask: number[]
}

/** How {@link RenderCache.compositeTileAt} delivers a tile's composite. */
export interface TileCompositeRequest {
  /** Keep the composite for later calls (the default); views with their own bitmaps say false. */
  cache?: boolean
  /** A tile-sized buffer to composite into instead of a new one. */
  into?: Uint8ClampedArray
  /**
   * Composite only this part of the tile (tile coordinates), leaving the rest of `into` as it is:
   * for a view that keeps the tile's earlier composite and redraws the part that changed. Such a
   * composite is never cached.
   */
  within?: Rect
}

/**
 * The composite of the layers under a stroke's layer for one tile, made a cell at a time as the
 * stroke first needs each part. `pixels` is null where those layers hold nothing in this tile.
 */
interface LayersUnder {
  readonly pixels: Uint8ClampedArray | null
  readonly madeCells: Uint8Array
}

/** Side of the cells in which the composite under a stroke is made (divides the tile size). */
const underCellSize = 16
const underCellsPerSide = tileSize / underCellSize

/**
 * What views pull from the engine: which tiles changed since they last looked (and which part of
 * each), each tile's composite of the visible layers, and a small thumbnail per layer. Every edit
 * reports what it touched here; caches drop what it made stale.
 */
export class RenderCache {
  private readonly compositeCache = new Map<number, Uint8ClampedArray | null>()
  private readonly thumbnails = new Map<Layer, { maxSide: number; image: RgbaImage }>()
  /** Tiles whose composite changed, with the part that changed. */
  private dirtyComposite = new Map<number, Rect>()
  private dirtyMask = new Set<number>()
  private allDirty = true
  /**
   * While a stroke paints one layer, each touched tile's composite of the layers under it, kept
   * so a frame composites only the painted layer and those above, and only where it changed.
   */
  private stroke: { layer: Layer; under: Map<number, LayersUnder> } | null = null

  constructor(
    private readonly document: EditorDocument,
    private readonly notifier: ChangeNotifier,
  ) {}

  /** Layer pixels changed: in `keys` of `layer`, or anywhere (structure, visibility, size). */
  invalidateLayerTiles(layer: Layer | null, keys?: Iterable<number>): void {
    if (layer !== this.stroke?.layer) this.stroke = null
    if (!layer || keys === undefined) {
      this.allDirty = true
      this.compositeCache.clear()
      this.thumbnails.clear()
    } else {
      this.thumbnails.delete(layer)
      for (const key of keys) this.markCompositeDirty(key, wholeTile)
    }
    this.notifier.changed('pixels')
  }

  /** Layer pixels changed inside `rects` (document coordinates) of `layer`, and nowhere else. */
  invalidateLayerRects(layer: Layer, rects: Iterable<Rect>): void {
    if (layer !== this.stroke?.layer) this.stroke = null
    this.thumbnails.delete(layer)
    const raster = layer.raster
    for (const rect of rects) {
      for (const key of raster.tileKeysIn(rect)) {
        const tileRect = raster.tileRect(key)
        const part = intersectRects(rect, tileRect)
        if (!part) continue
        this.markCompositeDirty(key, { ...part, x: part.x - tileRect.x, y: part.y - tileRect.y })
      }
    }
    this.notifier.changed('pixels')
  }

  /** A stroke starts painting `layer`: until {@link endLayerStroke} only it changes. */
  beginLayerStroke(layer: Layer): void {
    this.stroke = { layer, under: new Map() }
  }

  endLayerStroke(): void {
    this.stroke = null
  }

  invalidateMask(keys?: Iterable<number>): void {
    if (keys === undefined) this.allDirty = true
    else for (const key of keys) this.dirtyMask.add(key)
    this.notifier.changed('mask')
  }

  /** Tiles whose composite or mask changed since the last call. */
  takeDirtyTiles(): DirtyTiles {
    const compositeRegions = this.dirtyComposite
    const result = {
      all: this.allDirty,
      composite: [...compositeRegions.keys()],
      compositeRegions,
      mask: [...this.dirtyMask],
    }
    this.allDirty = false
    this.dirtyComposite = new Map()
    this.dirtyMask.clear()
    return result
  }

  /**
   * The composite of the visible layers for one tile; null when fully transparent. Views that keep
   * their own bitmap per tile pass `cache: false` so the pixels are not held twice.
   */
  compositeTileAt(key: number, request: TileCompositeRequest = {}): Uint8ClampedArray | null {
    const { cache = true, into, within } = request
    if (within) {
      const out = into ?? new Uint8ClampedArray(tileSize * tileSize * 4)
      return this.composite(key, out, within) ? out : null
    }
    const cached = this.compositeCache.get(key)
    if (cached !== undefined) return cached
    const out = into ?? new Uint8ClampedArray(tileSize * tileSize * 4)
    const result = this.composite(key, out, wholeTile) ? out : null
    if (cache) this.compositeCache.set(key, into && result ? result.slice() : result)
    return result
  }

  private markCompositeDirty(key: number, region: Rect): void {
    this.compositeCache.delete(key)
    this.dirtyComposite.set(key, unionRects(this.dirtyComposite.get(key) ?? null, region) ?? region)
  }

  private composite(key: number, out: Uint8ClampedArray, within: Rect): boolean {
    const layers = this.document.layers
    const stroke = this.stroke
    const index = stroke ? layers.indexOf(stroke.layer) : -1
    if (!stroke || index < 0) return compositeTile(layers, key, out, { within })
    const under = layersUnder(stroke.under, layers.slice(0, index), key, within)
    if (under)
      for (const [start, end] of tileRowRanges(within)) out.set(under.subarray(start, end), start)
    return compositeTile(layers.slice(index), key, out, { over: under !== null, within })
  }

  /**
   * A small picture of one layer (its longer side `maxSide`, the canvas's aspect), straight RGBA,
   * each pixel the average of a 4×4 grid of samples under it. Cached until the layer changes.
   */
  layerThumbnail(layer: Layer, maxSide = 40): RgbaImage {
    const cached = this.thumbnails.get(layer)
    if (cached?.maxSide === maxSide) return cached.image
    const image = thumbnailOf(layer, this.document.width, this.document.height, maxSide)
    this.thumbnails.set(layer, { maxSide, image })
    return image
  }
}

/**
 * The composite of `layers` (those under a stroke's layer) for one tile, made at least inside
 * `within` (tile coordinates); null where they hold nothing in this tile.
 */
function layersUnder(
  kept: Map<number, LayersUnder>,
  layers: readonly Layer[],
  key: number,
  within: Rect,
): Uint8ClampedArray | null {
  let under = kept.get(key)
  if (!under) {
    const anyPixels = layers.some((layer) => isShown(layer) && layer.raster.getTile(key))
    under = {
      pixels: anyPixels ? new Uint8ClampedArray(tileSize * tileSize * 4) : null,
      madeCells: new Uint8Array(underCellsPerSide * underCellsPerSide),
    }
    kept.set(key, under)
  }
  const { pixels, madeCells } = under
  if (!pixels) return null
  const firstColumn = Math.floor(within.x / underCellSize)
  const lastColumn = Math.floor((within.x + within.width - 1) / underCellSize)
  const firstRow = Math.floor(within.y / underCellSize)
  const lastRow = Math.floor((within.y + within.height - 1) / underCellSize)
  for (let row = firstRow; row <= lastRow; row++) {
    // Each run of cells not made yet along the row is composited in one go.
    let column = firstColumn
    while (column <= lastColumn) {
      if (madeCells[row * underCellsPerSide + column]) {
        column++
        continue
      }
      const runStart = column
      while (column <= lastColumn && !madeCells[row * underCellsPerSide + column]) {
        madeCells[row * underCellsPerSide + column] = 1
        column++
      }
      const cells: Rect = {
        x: runStart * underCellSize,
        y: row * underCellSize,
        width: (column - runStart) * underCellSize,
        height: underCellSize,
      }
      compositeTile(layers, key, pixels, { within: cells })
    }
  }
  return pixels
}

const samplesPerAxis = 4

function thumbnailOf(layer: Layer, width: number, height: number, maxSide: number): RgbaImage {
  const scale = Math.min(1, maxSide / Math.max(width, height))
  const thumbWidth = Math.max(1, Math.round(width * scale))
  const thumbHeight = Math.max(1, Math.round(height * scale))
  const data = new Uint8ClampedArray(thumbWidth * thumbHeight * 4)
  const raster = layer.raster
  const sampleAt = (index: number, thumbSide: number, side: number, sub: number): number =>
    Math.min(side - 1, Math.floor(((index + (sub + 0.5) / samplesPerAxis) * side) / thumbSide))
  for (let ty = 0; ty < thumbHeight; ty++) {
    for (let tx = 0; tx < thumbWidth; tx++) {
      // Alpha-weighted average, so transparent samples do not darken the colour.
      let r = 0
      let g = 0
      let b = 0
      let a = 0
      for (let sy = 0; sy < samplesPerAxis; sy++) {
        const y = sampleAt(ty, thumbHeight, height, sy)
        for (let sx = 0; sx < samplesPerAxis; sx++) {
          const x = sampleAt(tx, thumbWidth, width, sx)
          const tile = raster.getTile(
            raster.tileKey(Math.floor(x / tileSize), Math.floor(y / tileSize)),
          )
          if (!tile) continue
          const i = ((y % tileSize) * tileSize + (x % tileSize)) * 4
          const alpha = tile[i + 3] ?? 0
          r += (tile[i] ?? 0) * alpha
          g += (tile[i + 1] ?? 0) * alpha
          b += (tile[i + 2] ?? 0) * alpha
          a += alpha
        }
      }
      const i = (ty * thumbWidth + tx) * 4
      if (a > 0) {
        data[i] = r / a
        data[i + 1] = g / a
        data[i + 2] = b / a
        data[i + 3] = a / (samplesPerAxis * samplesPerAxis)
      }
    }
  }
  return { width: thumbWidth, height: thumbHeight, data }
}
