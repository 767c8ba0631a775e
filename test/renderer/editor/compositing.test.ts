import { describe, expect, it } from 'vitest'
import { compositeTile, tileRowRanges } from '../../../renderer/src/editor/compositing'
import { EditorDocument } from '../../../renderer/src/editor/EditorDocument'
import type { Rect } from '../../../renderer/src/editor/geometry'
import { tileSize } from '../../../renderer/src/editor/TiledRaster'
import { patternImage, sameBytes } from './helpers'

/** Three pattern layers over 300×300 (four tiles), the middle one at 0.6 opacity. */
function layeredDocument(): EditorDocument {
  const document = new EditorDocument(300, 300)
  for (const [alpha, opacity] of [
    [255, 1],
    [120, 0.6],
    [90, 1],
  ] as const) {
    const layer = document.createLayer(`alpha ${alpha}`)
    layer.raster.writeRect(document.bounds, patternImage(300, 300, alpha).data)
    layer.opacity = opacity
    document.layers.push(layer)
  }
  return document
}

const tileBytes = tileSize * tileSize * 4

describe('compositing one tile', () => {
  it('within a part of the tile gives the full composite there and leaves the rest alone', () => {
    const layers = layeredDocument().layers
    const full = new Uint8ClampedArray(tileBytes)
    compositeTile(layers, 0, full)
    const parts: Rect[] = [
      { x: 10, y: 20, width: 30, height: 40 },
      { x: 0, y: 100, width: tileSize, height: 3 },
      { x: 255, y: 255, width: 1, height: 1 },
    ]
    for (const within of parts) {
      const out = new Uint8ClampedArray(tileBytes).fill(7)
      expect(compositeTile(layers, 0, out, { within })).toBe(true)
      const expected = new Uint8ClampedArray(tileBytes).fill(7)
      for (const [start, end] of tileRowRanges(within))
        expected.set(full.subarray(start, end), start)
      expect(sameBytes(out, expected)).toBe(true)
    }
  })

  it('resumed over the kept composite of the lower layers gives the full one, part by part', () => {
    const layers = layeredDocument().layers
    const full = new Uint8ClampedArray(tileBytes)
    compositeTile(layers, 3, full)
    const resumed = new Uint8ClampedArray(tileBytes)
    compositeTile(layers.slice(0, 2), 3, resumed)
    const top = layers.slice(2)
    compositeTile(top, 3, resumed, { over: true, within: { x: 0, y: 0, width: 100, height: 256 } })
    compositeTile(top, 3, resumed, {
      over: true,
      within: { x: 100, y: 0, width: 156, height: 256 },
    })
    expect(sameBytes(resumed, full)).toBe(true)
  })

  it('clears the part to transparent where no visible layer holds pixels', () => {
    const document = new EditorDocument(300, 300)
    document.layers.push(document.createLayer('empty'))
    const out = new Uint8ClampedArray(tileBytes).fill(9)
    expect(
      compositeTile(document.layers, 0, out, { within: { x: 1, y: 0, width: 2, height: 1 } }),
    ).toBe(false)
    expect([...out.subarray(0, 16)]).toEqual([9, 9, 9, 9, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9])
  })
})

describe('row ranges of a part of a tile', () => {
  it('are one range when the part spans the whole width, else one a row', () => {
    const row = tileSize * 4
    expect(tileRowRanges({ x: 0, y: 2, width: tileSize, height: 3 })).toEqual([[2 * row, 5 * row]])
    expect(tileRowRanges({ x: 1, y: 2, width: 3, height: 2 })).toEqual([
      [2 * row + 4, 2 * row + 16],
      [3 * row + 4, 3 * row + 16],
    ])
  })
})
