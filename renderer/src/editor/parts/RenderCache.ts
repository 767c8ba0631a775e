import { compositeTile } from '../compositing'
import type { EditorDocument, Layer, RgbaImage } from '../EditorDocument'
import { tileSize } from '../TiledRaster'
import type { ChangeNotifier } from './ChangeNotifier'

/**
 * What views pull from the engine: which tiles changed since they last looked, each tile's
 * composite of the visible layers, and a small thumbnail per layer. Every edit reports the tiles
 * it touched here; caches drop what it made stale.
 */
export class RenderCache {
  private readonly compositeCache = new Map<number, Uint8ClampedArray | null>()
  private readonly thumbnails = new Map<Layer, { maxSide: number; image: RgbaImage }>()
  private dirtyComposite = new Set<number>()
  private dirtyMask = new Set<number>()
  private allDirty = true
  /**
   * While a stroke paints one layer, each touched tile's composite of the layers under it, kept
   * (null: they hold nothing there) so a frame composites only the painted layer and those above.
   */
  private stroke: { layer: Layer; under: Map<number, Uint8ClampedArray | null> } | null = null

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
      for (const key of keys) {
        this.dirtyComposite.add(key)
        this.compositeCache.delete(key)
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

  /**
   * Tiles whose composite or mask changed since the last call. `all` means redraw everything
   * (after structural changes such as reordering, visibility or a new canvas size).
   */
  takeDirtyTiles(): { all: boolean; composite: number[]; mask: number[] } {
    const result = {
      all: this.allDirty,
      composite: [...this.dirtyComposite],
      mask: [...this.dirtyMask],
    }
    this.allDirty = false
    this.dirtyComposite.clear()
    this.dirtyMask.clear()
    return result
  }

  /**
   * The composite of the visible layers for one tile; null when fully transparent. Views that keep
   * their own bitmap per tile pass `cache: false` so the pixels are not held twice.
   */
  compositeTileAt(
    key: number,
    options: { cache?: boolean; into?: Uint8ClampedArray } = {},
  ): Uint8ClampedArray | null {
    const cached = this.compositeCache.get(key)
    if (cached !== undefined) return cached
    const out = options.into ?? new Uint8ClampedArray(tileSize * tileSize * 4)
    const result = this.composite(key, out) ? out : null
    if (options.cache !== false)
      this.compositeCache.set(key, options.into && result ? result.slice() : result)
    return result
  }

  private composite(key: number, out: Uint8ClampedArray): boolean {
    const layers = this.document.layers
    const stroke = this.stroke
    const index = stroke ? layers.indexOf(stroke.layer) : -1
    if (!stroke || index < 0) return compositeTile(layers, key, out)
    let under = stroke.under.get(key)
    if (under === undefined) {
      const pixels = new Uint8ClampedArray(tileSize * tileSize * 4)
      under = compositeTile(layers.slice(0, index), key, pixels) ? pixels : null
      stroke.under.set(key, under)
    }
    if (under) out.set(under)
    return compositeTile(layers.slice(index), key, out, under !== null)
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
