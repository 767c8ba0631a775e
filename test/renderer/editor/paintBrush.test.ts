import { describe, expect, it } from 'vitest'
import { TileEditRecorder } from '../../../renderer/src/editor/History'
import { PaintStroke, type PaintMode } from '../../../renderer/src/editor/paintBrush'
import { TiledRaster } from '../../../renderer/src/editor/TiledRaster'

function layerOf(width: number, height: number, rgba?: [number, number, number, number]) {
  const raster = new TiledRaster(width, height, 4)
  if (rgba) {
    const data = new Uint8ClampedArray(width * height * 4)
    for (let i = 0; i < data.length; i += 4) data.set(rgba, i)
    raster.writeRect({ x: 0, y: 0, width, height }, data)
  }
  return raster
}

function stroke(raster: TiledRaster, mode: PaintMode, size: number, hardness: number) {
  return new PaintStroke(raster, new TileEditRecorder(raster), mode, [255, 0, 0], {
    size,
    hardness,
  })
}

describe('a paint stroke on a layer', () => {
  it('lays the colour over an empty layer, opaque inside a hard dab and nothing outside', () => {
    const raster = layerOf(64, 64)
    stroke(raster, 'paint', 20, 1).dab({ x: 32, y: 32 })
    expect(raster.getPixel(32, 32)).toEqual([255, 0, 0, 255])
    expect(raster.getPixel(32 + 12, 32)).toEqual([0, 0, 0, 0])
  })

  it('does not build up where dabs of one stroke overlap (a soft stroke stays as the brush)', () => {
    const once = layerOf(64, 64, [0, 0, 255, 255])
    stroke(once, 'paint', 30, 0).dab({ x: 32, y: 32 })
    const many = layerOf(64, 64, [0, 0, 255, 255])
    const repeated = stroke(many, 'paint', 30, 0)
    for (let i = 0; i < 10; i++) repeated.dab({ x: 32, y: 32 })
    expect(many.readRect({ x: 0, y: 0, width: 64, height: 64 })).toEqual(
      once.readRect({ x: 0, y: 0, width: 64, height: 64 }),
    )
    // Half way out the soft dab mixes the two colours.
    const [r, , b, a] = once.getPixel(32 + 7, 32)
    expect(r).toBeGreaterThan(60)
    expect(b).toBeGreaterThan(60)
    expect(a).toBe(255)
  })

  it('mixes over a half-transparent pixel as source-over in straight alpha', () => {
    const hard = layerOf(16, 16, [0, 0, 255, 128])
    stroke(hard, 'paint', 400, 1).dab({ x: 8, y: 8 })
    expect(hard.getPixel(3, 3)).toEqual([255, 0, 0, 255])
    // A soft dab of radius 8: the pixel centred (8.5, 4.5) gets 1 − distance / 8 of the colour.
    const soft = layerOf(16, 16, [0, 0, 255, 128])
    stroke(soft, 'paint', 16, 0).dab({ x: 8, y: 8 })
    const [r, g, b, a] = soft.getPixel(8, 4)
    const amount = Math.round((1 - Math.hypot(0.5, 3.5) / 8) * 255) / 255
    const under = (128 / 255) * (1 - amount)
    const alpha = amount + under
    expect([r, g, b, a]).toEqual([
      Math.round((255 * amount) / alpha),
      0,
      Math.round((255 * under) / alpha),
      Math.round(alpha * 255),
    ])
  })

  it('erases to transparent and leaves empty tiles unallocated', () => {
    const raster = layerOf(600, 300)
    raster.writeRect({ x: 0, y: 0, width: 10, height: 10 }, new Uint8ClampedArray(400).fill(200))
    const erase = stroke(raster, 'erase', 8, 1)
    erase.dab({ x: 5, y: 5 })
    erase.dab({ x: 500, y: 200 })
    expect(raster.getPixel(5, 5)[3]).toBe(0)
    expect(raster.getPixel(0, 0)).toEqual([200, 200, 200, 200])
    expect(raster.allocatedTileKeys()).toEqual([0])
  })

  it('paints across tile borders without a seam', () => {
    const raster = layerOf(600, 300)
    expect(stroke(raster, 'paint', 40, 1).dab({ x: 256, y: 256 })).toEqual({
      x: 236,
      y: 236,
      width: 40,
      height: 40,
    })
    for (const [x, y] of [
      [255, 255],
      [256, 255],
      [255, 256],
      [256, 256],
    ] as const)
      expect(raster.getPixel(x, y)).toEqual([255, 0, 0, 255])
    expect(raster.allocatedTileKeys().length).toBe(4)
  })

  it('says which part of the layer a dab may have changed: its square, cut to the layer', () => {
    const paint = stroke(layerOf(100, 80), 'paint', 30, 0.5)
    expect(paint.dab({ x: 5.5, y: 70 })).toEqual({ x: 0, y: 55, width: 21, height: 25 })
    expect(paint.dab({ x: 300, y: 40 })).toBeNull()
  })
})
