import type { Rect } from './geometry'
import { intersectRects } from './geometry'

/** Side of a square tile in pixels. Edge tiles are stored full size; the excess stays zero. */
export const tileSize = 256

/** The pixels of one tile, or undefined for a tile that is entirely zero (never allocated). */
export type TileData = Uint8ClampedArray | undefined

/**
 * A sparse raster of `channels` bytes per pixel, split into square tiles that are allocated on
 * first write. Layers (RGBA, straight alpha) and the mask (one channel, 255 = painted) both use it,
 * so memory follows the painted area rather than the document size, and history can keep the
 * before/after of only the tiles an edit touched.
 */
export class TiledRaster {
  readonly tilesX: number
  readonly tilesY: number
  private readonly tiles = new Map<number, Uint8ClampedArray>()

  constructor(
    readonly width: number,
    readonly height: number,
    readonly channels: 1 | 4,
  ) {
    this.tilesX = Math.ceil(width / tileSize)
    this.tilesY = Math.ceil(height / tileSize)
  }

  get tileByteLength(): number {
    return tileSize * tileSize * this.channels
  }

  tileKey(tileX: number, tileY: number): number {
    return tileY * this.tilesX + tileX
  }

  tileRect(key: number): Rect {
    const x = (key % this.tilesX) * tileSize
    const y = Math.floor(key / this.tilesX) * tileSize
    return {
      x,
      y,
      width: Math.min(tileSize, this.width - x),
      height: Math.min(tileSize, this.height - y),
    }
  }

  /** Keys of every tile that overlaps `rect` (allocated or not). */
  tileKeysIn(rect: Rect): number[] {
    const clipped = intersectRects(rect, { x: 0, y: 0, width: this.width, height: this.height })
    if (!clipped) return []
    const keys: number[] = []
    const tx1 = Math.floor((clipped.x + clipped.width - 1) / tileSize)
    const ty1 = Math.floor((clipped.y + clipped.height - 1) / tileSize)
    for (let ty = Math.floor(clipped.y / tileSize); ty <= ty1; ty++) {
      for (let tx = Math.floor(clipped.x / tileSize); tx <= tx1; tx++)
        keys.push(this.tileKey(tx, ty))
    }
    return keys
  }

  getTile(key: number): TileData {
    return this.tiles.get(key)
  }

  ensureTile(key: number): Uint8ClampedArray {
    let tile = this.tiles.get(key)
    if (!tile) {
      tile = new Uint8ClampedArray(this.tileByteLength)
      this.tiles.set(key, tile)
    }
    return tile
  }

  /** Replaces a tile's pixels; the raster keeps the given array (pass a copy if you keep yours). */
  setTile(key: number, data: TileData): void {
    if (data) this.tiles.set(key, data)
    else this.tiles.delete(key)
  }

  copyTile(key: number): TileData {
    const tile = this.tiles.get(key)
    return tile ? tile.slice() : undefined
  }

  /**
   * Frees the tiles among `keys` (all by default) whose bytes are all 0: an absent tile reads the
   * same, and "anything allocated" then means "anything painted" (a mask erased to nothing is no
   * mask).
   */
  dropEmptyTiles(keys: Iterable<number> = this.tiles.keys()): void {
    for (const key of [...keys]) {
      const tile = this.tiles.get(key)
      if (tile && isAllZero(tile)) this.tiles.delete(key)
    }
  }

  allocatedTileKeys(): number[] {
    return [...this.tiles.keys()]
  }

  get allocatedTileCount(): number {
    return this.tiles.size
  }

  clear(): void {
    this.tiles.clear()
  }

  clone(): TiledRaster {
    const copy = new TiledRaster(this.width, this.height, this.channels)
    for (const [key, tile] of this.tiles) copy.tiles.set(key, tile.slice())
    return copy
  }

  /**
   * A copy of this raster on a canvas of `width`×`height`, its pixels shifted by (dx, dy); what
   * falls outside the new canvas is cut off, new area is zero (transparent / unpainted).
   */
  translated(width: number, height: number, dx: number, dy: number): TiledRaster {
    const copy = new TiledRaster(width, height, this.channels)
    const bounds = this.contentBounds()
    if (bounds) {
      copy.writeRect({ ...bounds, x: bounds.x + dx, y: bounds.y + dy }, this.readRect(bounds))
    }
    return copy
  }

  getPixel(x: number, y: number): number[] {
    const tile = this.tiles.get(this.tileKey(Math.floor(x / tileSize), Math.floor(y / tileSize)))
    const offset = ((y % tileSize) * tileSize + (x % tileSize)) * this.channels
    return Array.from({ length: this.channels }, (_, c) => tile?.[offset + c] ?? 0)
  }

  /** Copies `rect` out as a packed array; pixels outside the raster or in empty tiles read as 0. */
  readRect(rect: Rect): Uint8ClampedArray {
    const out = new Uint8ClampedArray(rect.width * rect.height * this.channels)
    const channels = this.channels
    for (const key of this.tileKeysIn(rect)) {
      const tile = this.tiles.get(key)
      if (!tile) continue
      const tileRect = this.tileRect(key)
      const part = intersectRects(rect, tileRect)
      if (!part) continue
      const rowBytes = part.width * channels
      for (let y = part.y; y < part.y + part.height; y++) {
        const source = ((y - tileRect.y) * tileSize + (part.x - tileRect.x)) * channels
        const target = ((y - rect.y) * rect.width + (part.x - rect.x)) * channels
        out.set(tile.subarray(source, source + rowBytes), target)
      }
    }
    return out
  }

  /**
   * Writes a packed array into `rect` (clipped to the raster). Tiles that would receive only zeros
   * and do not exist yet stay unallocated.
   */
  writeRect(rect: Rect, data: Uint8ClampedArray | Uint8Array): void {
    const channels = this.channels
    const source = asClamped(data)
    for (const key of this.tileKeysIn(rect)) {
      const tileRect = this.tileRect(key)
      const part = intersectRects(rect, tileRect)
      if (!part) continue
      const rowBytes = part.width * channels
      let tile = this.tiles.get(key)
      if (!tile) {
        if (isZeroIn(source, rect, part, channels)) continue
        tile = this.ensureTile(key)
      }
      for (let y = part.y; y < part.y + part.height; y++) {
        const from = ((y - rect.y) * rect.width + (part.x - rect.x)) * channels
        const to = ((y - tileRect.y) * tileSize + (part.x - tileRect.x)) * channels
        tile.set(source.subarray(from, from + rowBytes), to)
      }
    }
  }

  /**
   * The smallest rectangle holding every non-zero pixel (for RGBA: every non-zero alpha), looking
   * only inside `within` when given (only the tiles it touches are read).
   */
  contentBounds(within?: Rect): Rect | null {
    let x0 = Infinity
    let y0 = Infinity
    let x1 = -Infinity
    let y1 = -Infinity
    const channels = this.channels
    const probe = channels - 1
    const keys = within ? this.tileKeysIn(within) : this.tiles.keys()
    for (const key of keys) {
      const tile = this.tiles.get(key)
      const tileRect = this.tileRect(key)
      const part = within ? intersectRects(within, tileRect) : tileRect
      if (!tile || !part) continue
      // The part's columns and rows in the tile's own coordinates.
      const left = part.x - tileRect.x
      const top = part.y - tileRect.y
      for (let y = top; y < top + part.height; y++) {
        let rowMin = -1
        let rowMax = -1
        const row = y * tileSize * channels
        for (let x = left; x < left + part.width; x++) {
          if (tile[row + x * channels + probe] !== 0) {
            if (rowMin < 0) rowMin = x
            rowMax = x
          }
        }
        if (rowMin < 0) continue
        x0 = Math.min(x0, tileRect.x + rowMin)
        x1 = Math.max(x1, tileRect.x + rowMax + 1)
        y0 = Math.min(y0, tileRect.y + y)
        y1 = Math.max(y1, tileRect.y + y + 1)
      }
    }
    if (x1 < x0) return null
    return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }
  }
}

function isAllZero(bytes: Uint8ClampedArray): boolean {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes.byteLength >> 2 : 0
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, aligned)
  for (let i = 0; i < words.length; i++) if (words[i] !== 0) return false
  for (let i = aligned * 4; i < bytes.length; i++) if (bytes[i] !== 0) return false
  return true
}

function isZeroIn(source: Uint8ClampedArray, rect: Rect, part: Rect, channels: number): boolean {
  const rowBytes = part.width * channels
  for (let y = part.y; y < part.y + part.height; y++) {
    const from = ((y - rect.y) * rect.width + (part.x - rect.x)) * channels
    for (let i = from; i < from + rowBytes; i++) if (source[i] !== 0) return false
  }
  return true
}

export function asClamped(data: Uint8ClampedArray | Uint8Array): Uint8ClampedArray {
  return data instanceof Uint8ClampedArray
    ? data
    : new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength)
}
