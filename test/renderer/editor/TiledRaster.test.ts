import { describe, expect, it } from 'vitest'
import { TiledRaster, tileSize } from '../../../renderer/src/editor/TiledRaster'
import { patternImage, sameBytes } from './helpers'

describe('TiledRaster', () => {
  it('reads back exactly what was written across tile borders', () => {
    const raster = new TiledRaster(700, 300, 4)
    const image = patternImage(300, 200)
    const rect = { x: 200, y: 50, width: 300, height: 200 }
    raster.writeRect(rect, image.data)
    expect(sameBytes(raster.readRect(rect), image.data)).toBe(true)
    expect(raster.getPixel(200 + 57, 50 + 3)).toEqual([57, 3, (57 * 7 + 3 * 13) & 255, 255])
    expect(raster.getPixel(10, 10)).toEqual([0, 0, 0, 0])
  })

  it('allocates only tiles that receive non-zero pixels', () => {
    const raster = new TiledRaster(1024, 1024, 1)
    raster.writeRect({ x: 0, y: 0, width: 1024, height: 1024 }, new Uint8ClampedArray(1024 * 1024))
    expect(raster.allocatedTileCount).toBe(0)
    const dot = new Uint8ClampedArray(1).fill(9)
    raster.writeRect({ x: tileSize + 3, y: 2 * tileSize + 1, width: 1, height: 1 }, dot)
    expect(raster.allocatedTileCount).toBe(1)
    expect(raster.contentBounds()).toEqual({
      x: tileSize + 3,
      y: 2 * tileSize + 1,
      width: 1,
      height: 1,
    })
  })

  it('frees tiles that hold only zeros, and only those', () => {
    const raster = new TiledRaster(600, 300, 4)
    raster.writeRect({ x: 10, y: 10, width: 4, height: 4 }, new Uint8ClampedArray(64).fill(9))
    raster.writeRect({ x: 300, y: 10, width: 4, height: 4 }, new Uint8ClampedArray(64).fill(9))
    expect(raster.allocatedTileCount).toBe(2)
    raster.writeRect({ x: 300, y: 10, width: 4, height: 4 }, new Uint8ClampedArray(64))
    raster.dropEmptyTiles()
    expect(raster.allocatedTileCount).toBe(1)
    expect(raster.getPixel(10, 10)).toEqual([9, 9, 9, 9])
    expect(raster.getPixel(300, 10)).toEqual([0, 0, 0, 0])
  })

  it('clips writes and reads that extend past the canvas', () => {
    const raster = new TiledRaster(100, 100, 4)
    const image = patternImage(50, 50)
    raster.writeRect({ x: -25, y: 75, width: 50, height: 50 }, image.data)
    expect(raster.getPixel(0, 75)).toEqual([25, 0, (25 * 7) & 255, 255])
    expect(raster.contentBounds()).toEqual({ x: 0, y: 75, width: 25, height: 25 })
    const read = raster.readRect({ x: -25, y: 75, width: 50, height: 50 })
    expect(read[0 + 3]).toBe(0)
    expect(read[25 * 4 + 3]).toBe(255)
  })

  it('bounds its content inside a window, reading only there', () => {
    const raster = new TiledRaster(1024, 1024, 4)
    raster.writeRect({ x: 100, y: 100, width: 600, height: 50 }, patternImage(600, 50).data)
    expect(raster.contentBounds()).toEqual({ x: 100, y: 100, width: 600, height: 50 })
    expect(raster.contentBounds({ x: 300, y: 0, width: 200, height: 120 })).toEqual({
      x: 300,
      y: 100,
      width: 200,
      height: 20,
    })
    expect(raster.contentBounds({ x: 0, y: 500, width: 1024, height: 100 })).toBeNull()
  })
})
