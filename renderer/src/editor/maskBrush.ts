import type { Point, Rect } from './geometry'
import { intersectRects, outerIntegerRect } from './geometry'
import type { TileEditRecorder } from './History'
import type { TiledRaster } from './TiledRaster'
import { tileSize } from './TiledRaster'

export type MaskPaintMode = 'paint' | 'erase'

export interface BrushSettings {
  /** diameter in document pixels */
  readonly size: number
  /** 0 = soft edge all the way from the centre, 1 = hard edge */
  readonly hardness: number
}

/** Coverage of a round dab at distance `distance` from its centre, 0..1. */
export function dabCoverage(distance: number, radius: number, hardness: number): number {
  if (distance >= radius) return 0
  const solid = radius * hardness
  if (distance <= solid) return 1
  return (radius - distance) / (radius - solid)
}

/**
 * Stamps one round dab on a one-channel mask. Painting raises pixels to the dab's coverage,
 * erasing lowers them, so overlapping dabs of one stroke never accumulate past the brush's own
 * profile. Returns the keys of the tiles it touched.
 */
export function stampDab(
  mask: TiledRaster,
  recorder: TileEditRecorder | null,
  centre: Point,
  brush: BrushSettings,
  mode: MaskPaintMode,
): number[] {
  const radius = Math.max(0.5, brush.size / 2)
  const square = outerIntegerRect(centre.x - radius, centre.y - radius, radius * 2, radius * 2)
  return editMaskTiles(mask, recorder, square, mode, (tile, tileRect, part) => {
    for (let y = part.y; y < part.y + part.height; y++) {
      const dy = y + 0.5 - centre.y
      const row = (y - tileRect.y) * tileSize - tileRect.x
      for (let x = part.x; x < part.x + part.width; x++) {
        const dx = x + 0.5 - centre.x
        const coverage = dabCoverage(Math.sqrt(dx * dx + dy * dy), radius, brush.hardness)
        if (coverage === 0) continue
        const index = row + x
        const current = tile[index] ?? 0
        if (mode === 'paint') {
          const value = Math.round(coverage * 255)
          if (value > current) tile[index] = value
        } else {
          const value = Math.round((1 - coverage) * 255)
          if (value < current) tile[index] = value
        }
      }
    }
  })
}

/** Dabs spaced a quarter of the diameter apart from `from` (exclusive) to `to` (inclusive). */
export function dabCentresAlong(from: Point, to: Point, size: number): Point[] {
  const spacing = Math.max(0.5, size / 4)
  const length = Math.hypot(to.x - from.x, to.y - from.y)
  const count = Math.max(1, Math.ceil(length / spacing))
  const centres: Point[] = []
  for (let i = 1; i <= count; i++) {
    const t = i / count
    centres.push({ x: from.x + (to.x - from.x) * t, y: from.y + (to.y - from.y) * t })
  }
  return centres
}

/** Fills (or clears) a rectangle of the mask; returns the touched tile keys. */
export function fillMaskRect(
  mask: TiledRaster,
  recorder: TileEditRecorder | null,
  rect: Rect,
  mode: MaskPaintMode,
): number[] {
  const value = mode === 'paint' ? 255 : 0
  return editMaskTiles(mask, recorder, rect, mode, (tile, tileRect, part) => {
    for (let y = part.y; y < part.y + part.height; y++) {
      const start = (y - tileRect.y) * tileSize + (part.x - tileRect.x)
      tile.fill(value, start, start + part.width)
    }
  })
}

/**
 * Calls `edit` for each tile under `rect` (clipped to the mask) with the part of it to change,
 * after telling the history recorder which tiles change. Erasing skips tiles never painted
 * (they are empty); painting creates them. Returns the touched tile keys.
 */
function editMaskTiles(
  mask: TiledRaster,
  recorder: TileEditRecorder | null,
  rect: Rect,
  mode: MaskPaintMode,
  edit: (tile: Uint8ClampedArray, tileRect: Rect, part: Rect) => void,
): number[] {
  const area = intersectRects(rect, { x: 0, y: 0, width: mask.width, height: mask.height })
  if (!area) return []
  const keys = mask.tileKeysIn(area)
  recorder?.touch(keys)
  for (const key of keys) {
    const tileRect = mask.tileRect(key)
    const part = intersectRects(area, tileRect)
    if (!part) continue
    const existing = mask.getTile(key)
    if (!existing && mode === 'erase') continue
    edit(existing ?? mask.ensureTile(key), tileRect, part)
  }
  return keys
}

/** Inverts the whole mask in place (its own inverse, so history stores nothing). */
export function invertMask(mask: TiledRaster): void {
  for (let ty = 0; ty < mask.tilesY; ty++) {
    for (let tx = 0; tx < mask.tilesX; tx++) {
      const key = mask.tileKey(tx, ty)
      const tile = mask.ensureTile(key)
      for (let i = 0; i < tile.length; i++) tile[i] = 255 - (tile[i] ?? 0)
    }
  }
  mask.dropEmptyTiles()
}
