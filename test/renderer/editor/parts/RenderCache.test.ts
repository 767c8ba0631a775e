import { describe, expect, it } from 'vitest'
import { compositeTile } from '../../../../renderer/src/editor/compositing'
import { EditorDocument } from '../../../../renderer/src/editor/EditorDocument'
import { ChangeNotifier } from '../../../../renderer/src/editor/parts/ChangeNotifier'
import { RenderCache } from '../../../../renderer/src/editor/parts/RenderCache'
import { tileSize } from '../../../../renderer/src/editor/TiledRaster'
import { patternImage, sameBytes, solidImage, testEditor } from '../helpers'

describe('layer thumbnails', () => {
  it('are small RGBA pictures of each layer, in the canvas aspect', () => {
    const editor = testEditor(400, 200)
    const red = editor.addImageLayer(solidImage(200, 200, [255, 0, 0, 255]), 'Red', { x: 0, y: 0 })
    const thumbnail = editor.layerThumbnail(red.id)!
    expect([thumbnail.width, thumbnail.height]).toEqual([40, 20])
    expect(thumbnail.data).toHaveLength(40 * 20 * 4)
    const at = (x: number, y: number) => [
      ...thumbnail.data.subarray((y * 40 + x) * 4, (y * 40 + x) * 4 + 4),
    ]
    expect(at(5, 10)).toEqual([255, 0, 0, 255])
    expect(at(35, 10)).toEqual([0, 0, 0, 0])
    expect(editor.layerThumbnail(red.id, 100)!.width).toBe(100)
  })

  it('follow the layer when it changes', () => {
    const editor = testEditor(100, 100)
    const square = editor.addImageLayer(solidImage(50, 100, [0, 255, 0, 255]), 'Green', {
      x: 0,
      y: 0,
    })
    const before = editor.layerThumbnail(square.id)!
    expect(editor.layerThumbnail(square.id)).toBe(before)
    editor.setTool('move')
    editor.keyDown({ key: 'ArrowRight', shiftKey: true })
    for (let i = 0; i < 4; i++) editor.keyDown({ key: 'ArrowRight', shiftKey: true })
    const after = editor.layerThumbnail(square.id)!
    expect(after).not.toBe(before)
    expect(after.data[(20 * 40 + 2) * 4 + 3]).toBe(0)
    expect(after.data[(20 * 40 + 30) * 4 + 1]).toBe(255)
  })
})

describe('mask overlay', () => {
  it('hides and shows without touching the document or its history', () => {
    const editor = testEditor(64, 64)
    editor.fillMaskRect({ x: 0, y: 0, width: 10, height: 10 })
    const revision = editor.revision
    const depth = editor.history.undoDepth
    const seen: string[] = []
    editor.subscribe((changes) => seen.push(...changes))
    expect(editor.maskOverlayVisible).toBe(true)
    expect(editor.keyDown({ key: 'm' })).toBe(true)
    expect(editor.maskOverlayVisible).toBe(false)
    expect(seen).toEqual(['display'])
    expect(editor.actions.get('mask.overlay').checked()).toBe(false)
    editor.setMaskOverlayVisible(true)
    expect(editor.maskOverlayVisible).toBe(true)
    expect(editor.revision).toBe(revision)
    expect(editor.history.undoDepth).toBe(depth)
    expect(editor.document.mask.contentBounds()).toEqual({ x: 0, y: 0, width: 10, height: 10 })
  })
})

/** A 600×400 document of two translucent pattern layers and its render cache, nothing dirty. */
function cachedDocument() {
  const document = new EditorDocument(600, 400)
  for (const alpha of [255, 100]) {
    const layer = document.createLayer(`alpha ${alpha}`)
    layer.raster.writeRect(document.bounds, patternImage(600, 400, alpha).data)
    document.layers.push(layer)
  }
  const cache = new RenderCache(document, new ChangeNotifier())
  cache.takeDirtyTiles()
  return { document, cache, layer: document.layers[1]! }
}

describe('dirty composite tiles', () => {
  it('carry the part of each tile that changed: the union of the rectangles, or the whole tile', () => {
    const { cache, layer } = cachedDocument()
    cache.invalidateLayerRects(layer, [
      { x: 10, y: 20, width: 5, height: 5 },
      { x: 250, y: 30, width: 20, height: 10 },
    ])
    cache.invalidateLayerRects(layer, [{ x: 40, y: 60, width: 10, height: 10 }])
    const dirty = cache.takeDirtyTiles()
    expect(dirty.all).toBe(false)
    expect(dirty.composite).toEqual([0, 1])
    expect(dirty.compositeRegions.get(0)).toEqual({ x: 10, y: 20, width: 246, height: 50 })
    expect(dirty.compositeRegions.get(1)).toEqual({ x: 0, y: 30, width: 14, height: 10 })
    // A change to a whole tile covers any part changed before or after it.
    cache.invalidateLayerRects(layer, [{ x: 0, y: 0, width: 1, height: 1 }])
    cache.invalidateLayerTiles(layer, [0])
    cache.invalidateLayerRects(layer, [{ x: 5, y: 5, width: 1, height: 1 }])
    expect(cache.takeDirtyTiles().compositeRegions).toEqual(
      new Map([[0, { x: 0, y: 0, width: tileSize, height: tileSize }]]),
    )
    expect(cache.takeDirtyTiles().composite).toEqual([])
  })

  it('can be composited only where they changed, into the tile a view keeps; such composites are not cached', () => {
    const { document, cache, layer } = cachedDocument()
    const kept = new Uint8ClampedArray(tileSize * tileSize * 4)
    compositeTile(document.layers, 1, kept)
    const full = () => {
      const out = new Uint8ClampedArray(tileSize * tileSize * 4)
      compositeTile(document.layers, 1, out)
      return out
    }
    expect(sameBytes(cache.compositeTileAt(1)!, kept)).toBe(true)
    layer.raster.ensureTile(1).fill(200, 0, 4 * 8)
    cache.invalidateLayerRects(layer, [{ x: 256, y: 0, width: 8, height: 1 }])
    const within = cache.takeDirtyTiles().compositeRegions.get(1)
    expect(within).toEqual({ x: 0, y: 0, width: 8, height: 1 })
    const into = kept.slice()
    into[4 * 8] = 1
    expect(cache.compositeTileAt(1, { into, within })).toBe(into)
    // The 9th pixel lies outside: left as it was (and not the composite, so not cached).
    expect(into[4 * 8]).toBe(1)
    expect(sameBytes(cache.compositeTileAt(1)!, full())).toBe(true)
    into[4 * 8] = kept[4 * 8]!
    expect(sameBytes(into, full())).toBe(true)
  })
})
