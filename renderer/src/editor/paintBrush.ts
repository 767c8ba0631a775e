import type { Point, Rect } from './geometry'
import { intersectRects, outerIntegerRect } from './geometry'
import type { TileEditRecorder } from './History'
import type { BrushSettings } from './maskBrush'
import { dabCoverage } from './maskBrush'
import type { TileData } from './TiledRaster'
import { TiledRaster, tileSize } from './TiledRaster'

/** Paint lays the colour over the layer; erase makes it transparent. */
export type PaintMode = 'paint' | 'erase'

/** An opaque colour, 0..255 per channel. */
export type Rgb = readonly [number, number, number]

/** "#rrggbb", as colour fields read and write it. */
export function hexOfRgb(colour: Rgb): string {
  return `#${colour.map((channel) => channel.toString(16).padStart(2, '0')).join('')}`
}

/** The colour of a "#rrggbb" string; null for anything else. */
export function rgbOfHex(hex: string): Rgb | null {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex)
  if (!match) return null
  return [parseInt(match[1]!, 16), parseInt(match[2]!, 16), parseInt(match[3]!, 16)]
}

/**
 * One stroke of the Paint tool on a layer's pixels (straight-alpha RGBA). Each pixel keeps the
 * most coverage any dab of the stroke gave it and is recomputed from its value before the stroke,
 * so dabs overlapping along the stroke do not build up: a stroke is as opaque as the brush's
 * profile wherever it passed, at any speed of the pointer.
 */
export class PaintStroke {
  private readonly coverage: TiledRaster

  constructor(
    private readonly layer: TiledRaster,
    private readonly recorder: TileEditRecorder,
    readonly mode: PaintMode,
    readonly colour: Rgb,
    readonly brush: BrushSettings,
  ) {
    this.coverage = new TiledRaster(layer.width, layer.height, 1)
  }

  /** Stamps one round dab at `centre`; returns the part of the layer it may have changed. */
  dab(centre: Point): Rect | null {
    const radius = Math.max(0.5, this.brush.size / 2)
    const square = outerIntegerRect(centre.x - radius, centre.y - radius, radius * 2, radius * 2)
    const bounds = { x: 0, y: 0, width: this.layer.width, height: this.layer.height }
    const area = intersectRects(square, bounds)
    if (!area) return null
    const keys = this.layer.tileKeysIn(area)
    this.recorder.touch(keys)
    for (const key of keys) {
      const tileRect = this.layer.tileRect(key)
      const part = intersectRects(area, tileRect)
      const before = this.recorder.original(key)
      // Erasing an empty tile leaves it empty.
      if (!part || (!before && this.mode === 'erase')) continue
      const pixels = this.layer.ensureTile(key)
      const covered = this.coverage.ensureTile(key)
      for (let y = part.y; y < part.y + part.height; y++) {
        const dy = y + 0.5 - centre.y
        for (let x = part.x; x < part.x + part.width; x++) {
          const dx = x + 0.5 - centre.x
          const coverage = dabCoverage(Math.sqrt(dx * dx + dy * dy), radius, this.brush.hardness)
          const level = Math.round(coverage * 255)
          const index = (y - tileRect.y) * tileSize + (x - tileRect.x)
          if (level <= (covered[index] ?? 0)) continue
          covered[index] = level
          this.writePixel(pixels, before, index * 4, level / 255)
        }
      }
    }
    return area
  }

  /**
   * Lays the colour over one whole tile at a per-pixel coverage (a mask tile: 255 = all of it),
   * as dabs do: only where it covers more than the stroke did so far.
   */
  cover(key: number, coverage: ArrayLike<number>): void {
    this.recorder.touch([key])
    const before = this.recorder.original(key)
    if (!before && this.mode === 'erase') return
    const pixels = this.layer.ensureTile(key)
    const covered = this.coverage.ensureTile(key)
    for (let index = 0; index < tileSize * tileSize; index++) {
      const level = coverage[index] ?? 0
      if (level <= (covered[index] ?? 0)) continue
      covered[index] = level
      this.writePixel(pixels, before, index * 4, level / 255)
    }
  }

  /** The pixel at `offset` as its value before the stroke with the colour laid over at `amount`. */
  private writePixel(pixels: Uint8ClampedArray, before: TileData, offset: number, amount: number) {
    const r = before?.[offset] ?? 0
    const g = before?.[offset + 1] ?? 0
    const b = before?.[offset + 2] ?? 0
    const alpha = (before?.[offset + 3] ?? 0) / 255
    if (this.mode === 'erase') {
      pixels[offset] = r
      pixels[offset + 1] = g
      pixels[offset + 2] = b
      pixels[offset + 3] = Math.round(alpha * (1 - amount) * 255)
      return
    }
    // Source-over in straight alpha: the colour at `amount` over the old pixel.
    const under = alpha * (1 - amount)
    const out = amount + under
    const [cr, cg, cb] = this.colour
    pixels[offset] = (cr * amount + r * under) / out
    pixels[offset + 1] = (cg * amount + g * under) / out
    pixels[offset + 2] = (cb * amount + b * under) / out
    pixels[offset + 3] = out * 255
  }
}
