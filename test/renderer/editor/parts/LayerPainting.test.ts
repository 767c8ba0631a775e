import { describe, expect, it } from 'vitest'
import { compositeTile, wholeTile } from '../../../../renderer/src/editor/compositing'
import { Editor } from '../../../../renderer/src/editor/Editor'
import type { RgbaImage } from '../../../../renderer/src/editor/EditorDocument'
import { EditorDocument } from '../../../../renderer/src/editor/EditorDocument'
import type { Point } from '../../../../renderer/src/editor/geometry'
import { EditSession } from '../../../../renderer/src/editor/parts/EditSession'
import { LayerPainting } from '../../../../renderer/src/editor/parts/LayerPainting'
import type { DirtyTiles, RenderCache } from '../../../../renderer/src/editor/parts/RenderCache'
import { tileSize } from '../../../../renderer/src/editor/TiledRaster'
import { drag, maskSnapshot, patternImage, sameBytes, testEditor } from '../helpers'

describe('the Paint tool', () => {
  it('paints the active layer in the colour chosen as one undoable step; the mask is untouched', () => {
    const editor = testEditor(200, 200)
    const before = editor.document.layers[0]!.raster.readRect(editor.document.bounds)
    const mask = maskSnapshot(editor)
    editor.setTool('paint')
    editor.setPaintColour([10, 200, 30])
    editor.setBrushSize(20)
    editor.setBrushHardness(1)
    expect(editor.toolState).toBe('paint.idle')
    editor.pointerDown(editor.pointerEvent({ x: 50, y: 50 }, 0))
    expect(editor.toolState).toBe('paint.painting')
    editor.pointerMove(editor.pointerEvent({ x: 150, y: 50 }, 0))
    editor.pointerUp(editor.pointerEvent({ x: 150, y: 50 }, 0))
    expect(editor.toolState).toBe('paint.idle')
    const raster = editor.document.layers[0]!.raster
    expect(raster.getPixel(100, 50)).toEqual([10, 200, 30, 255])
    expect(raster.getPixel(100, 70)).not.toEqual([10, 200, 30, 255])
    // What the canvas draws shows it too.
    expect(
      editor.compositeTileAt(0)!.slice((50 * 256 + 100) * 4, (50 * 256 + 100) * 4 + 4),
    ).toEqual(new Uint8ClampedArray([10, 200, 30, 255]))
    expect(sameBytes(maskSnapshot(editor), mask)).toBe(true)
    expect(editor.isDirty).toBe(true)
    expect(editor.history.nextUndoLabel).toBe('Paint')
    editor.undo()
    expect(sameBytes(raster.readRect(editor.document.bounds), before)).toBe(true)
    editor.redo()
    expect(raster.getPixel(100, 50)).toEqual([10, 200, 30, 255])
  })

  it('Alt erases the layer to transparent ("Erase pixels"); Esc mid-stroke puts it back', () => {
    const editor = testEditor(100, 100)
    editor.setTool('paint')
    editor.setBrushSize(10)
    editor.setBrushHardness(1)
    drag(editor, [[50, 50]], { altKey: true })
    const raster = editor.document.layers[0]!.raster
    expect(raster.getPixel(50, 50)[3]).toBe(0)
    expect(editor.history.nextUndoLabel).toBe('Erase pixels')
    const before = raster.readRect(editor.document.bounds)
    editor.pointerDown(editor.pointerEvent({ x: 20, y: 20 }, 0))
    editor.pointerMove(editor.pointerEvent({ x: 80, y: 20 }, 0))
    expect(raster.getPixel(50, 20)).toEqual([0, 0, 0, 255])
    expect(editor.keyDown({ key: 'Escape' })).toBe(true)
    expect(editor.toolState).toBe('paint.idle')
    expect(sameBytes(raster.readRect(editor.document.bounds), before)).toBe(true)
    expect(editor.history.nextUndoLabel).toBe('Erase pixels')
  })

  it('refuses a locked or hidden layer, saying why, and changes nothing', () => {
    const editor = Editor.blank(64, 64)
    editor.viewport.setSize(64, 64)
    const layer = editor.document.layers[0]!
    editor.setTool('paint')
    expect(editor.paintRefusal).toBeNull()
    editor.setLayerLocked(layer.id, true)
    expect(editor.paintRefusal).toBe('“Background” is locked: unlock it to paint on it.')
    drag(editor, [[32, 32]])
    expect(editor.toolState).toBe('paint.idle')
    expect(layer.raster.allocatedTileKeys()).toEqual([])
    editor.setLayerLocked(layer.id, false)
    editor.setLayerVisible(layer.id, false)
    expect(editor.paintRefusal).toBe('“Background” is hidden: show it to paint on it.')
    drag(editor, [[32, 32]])
    expect(layer.raster.allocatedTileKeys()).toEqual([])
    expect(editor.history.nextUndoLabel).toBe('Hide layer')
  })

  it('Ctrl/Cmd+click picks the colour the canvas shows there (idle → picking → idle), painting nothing', () => {
    const editor = testEditor(300, 300)
    editor.addImageLayer(patternImage(50, 50, 255), 'patch', { x: 200, y: 200 })
    editor.setTool('paint')
    const before = editor.document.layers.map((layer) =>
      layer.raster.readRect(editor.document.bounds),
    )
    const press = (x: number, y: number, modKey: boolean) =>
      editor.pointerEvent({ x: x + 0.5, y: y + 0.5 }, 0, { modKey })
    editor.pointerDown(press(10, 20, true))
    expect(editor.toolState).toBe('paint.picking')
    // testEditor's picture: red = x, green = y, blue = 7x + 13y (mod 256).
    expect(editor.paintColour).toEqual([10, 20, (70 + 260) & 255])
    // Dragging keeps picking; the patch on top is what shows at (210, 230).
    editor.pointerMove(press(210, 230, true))
    editor.pointerUp(press(210, 230, true))
    expect(editor.toolState).toBe('paint.idle')
    expect(editor.paintColour).toEqual([10, 30, (70 + 390) & 255])
    editor.document.layers.forEach((layer, index) =>
      expect(sameBytes(layer.raster.readRect(editor.document.bounds), before[index])).toBe(true),
    )
    expect(editor.history.nextUndoLabel).not.toBe('Paint')
    // Where nothing shows, the colour stays.
    const blank = Editor.blank(32, 32)
    blank.viewport.setSize(32, 32)
    blank.setPaintColour([1, 2, 3])
    expect(blank.pickPaintColour({ x: 5, y: 5 })).toBe(false)
    expect(blank.paintColour).toEqual([1, 2, 3])
  })

  it('Fill with colour (Alt+Backspace) fills the masked part of the active layer, one undo step', () => {
    const editor = testEditor(300, 300)
    const raster = editor.document.layers[0]!.raster
    const before = raster.readRect(editor.document.bounds)
    expect(editor.actions.get('mask.fill-colour').enabled()).toBe(false)
    editor.fillMaskRect({ x: 240, y: 240, width: 40, height: 30 })
    editor.setPaintColour([200, 30, 90])
    expect(editor.keyDown({ key: 'Backspace', altKey: true })).toBe(true)
    expect(raster.getPixel(240, 240)).toEqual([200, 30, 90, 255])
    expect(raster.getPixel(279, 269)).toEqual([200, 30, 90, 255])
    expect(raster.getPixel(239, 240)).toEqual([239, 240, (239 * 7 + 240 * 13) & 255, 255])
    expect(raster.getPixel(260, 270)).toEqual([
      260 & 255,
      270 & 255,
      (260 * 7 + 270 * 13) & 255,
      255,
    ])
    // The mask stays, to generate into.
    expect(editor.document.mask.getPixel(250, 250)).toEqual([255])
    expect(editor.history.nextUndoLabel).toBe('Fill with colour')
    editor.undo()
    expect(sameBytes(raster.readRect(editor.document.bounds), before)).toBe(true)
    expect(editor.history.nextUndoLabel).toBe('Rectangle mask')
    editor.setLayerLocked(editor.document.layers[0]!.id, true)
    expect(editor.actions.get('mask.fill-colour').enabled()).toBe(false)
    expect(editor.fillMaskWithColour()).toBe(false)
  })

  it('P chooses it; it shares the brush size with the mask brush', () => {
    const editor = testEditor(10, 10)
    expect(editor.keyDown({ key: 'p' })).toBe(true)
    expect(editor.toolId).toBe('paint')
    editor.setBrushSize(50)
    editor.keyDown({ key: ']' })
    expect(editor.brush.size).toBe(60)
  })
})

/**
 * What the canvas does with the render cache: it keeps every tile's composite and, each frame,
 * composites again only the part of each dirty tile that the cache reports changed.
 */
class KeptTiles {
  private readonly tiles = new Map<number, Uint8ClampedArray>()

  constructor(
    private readonly cache: RenderCache,
    private readonly document: EditorDocument,
  ) {
    cache.takeDirtyTiles()
    for (const key of this.keys()) {
      const tile = new Uint8ClampedArray(tileSize * tileSize * 4)
      compositeTile(document.layers, key, tile)
      this.tiles.set(key, tile)
    }
  }

  /** One frame: takes the dirty tiles and redraws the parts that changed; returns what it took. */
  frame(): DirtyTiles {
    const dirty = this.cache.takeDirtyTiles()
    for (const key of dirty.composite) {
      const kept = this.tiles.get(key)!
      const within = dirty.compositeRegions.get(key)
      if (!this.cache.compositeTileAt(key, { cache: false, into: kept, within })) kept.fill(0)
    }
    return dirty
  }

  /** Keys of the kept tiles that differ from a full composite of the visible layers. */
  tilesUnlikeFullComposite(): number[] {
    return this.keys().filter((key) => {
      const full = new Uint8ClampedArray(tileSize * tileSize * 4)
      compositeTile(this.document.layers, key, full)
      return !sameBytes(this.tiles.get(key)!, full)
    })
  }

  snapshot(): Uint8ClampedArray[] {
    return this.keys().map((key) => this.tiles.get(key)!.slice())
  }

  private keys(): number[] {
    return this.document.mask.tileKeysIn(this.document.bounds)
  }
}

/**
 * A 600×400 document (3×2 tiles): an opaque picture, the translucent layer painted and a
 * translucent one over part of it; Paint through LayerPainting, seen by {@link KeptTiles}.
 */
function paintingScene() {
  const document = new EditorDocument(600, 400)
  const addLayer = (name: string, image: RgbaImage, at: Point, opacity: number) => {
    const layer = document.createLayer(name)
    layer.raster.writeRect({ ...at, width: image.width, height: image.height }, image.data)
    layer.opacity = opacity
    document.layers.push(layer)
    return layer
  }
  addLayer('picture', patternImage(600, 400), { x: 0, y: 0 }, 1)
  const middle = addLayer('middle', patternImage(500, 300, 120), { x: 50, y: 50 }, 0.6)
  const top = addLayer('top', patternImage(300, 200, 90), { x: 200, y: 150 }, 1)
  const session = new EditSession(document)
  session.activeLayerId = middle.id
  const painting = new LayerPainting(session, () => ({ size: 60, hardness: 0.3 }))
  painting.colour = [250, 120, 10]
  const view = new KeptTiles(session.renderCache, document)
  return { session, painting, view, middle, top }
}

describe('a Paint stroke on the canvas, frame by frame', () => {
  it('composites each frame from the layers under it kept, only where the dabs landed: the same pixels as a full composite', () => {
    const { session, painting, view } = paintingScene()
    const path: Point[] = [
      { x: 230, y: 230 },
      { x: 260, y: 250 },
      { x: 280, y: 290 },
      { x: 400, y: 300 },
      { x: 520, y: 200 },
      { x: 240, y: 270 },
      { x: 100, y: 120 },
    ]
    painting.beginPaintStroke(path[0]!, 'paint')
    let partial = 0
    for (const point of path.slice(1)) {
      painting.continuePaintStroke(point)
      const dirty = view.frame()
      expect(dirty.all).toBe(false)
      expect(dirty.composite.length).toBeGreaterThan(0)
      for (const region of dirty.compositeRegions.values())
        if (region.width * region.height < tileSize * tileSize) partial += 1
      expect(view.tilesUnlikeFullComposite()).toEqual([])
    }
    expect(partial).toBeGreaterThan(4)
    painting.endPaintStroke()
    view.frame()
    expect(view.tilesUnlikeFullComposite()).toEqual([])
    // Cached composites (the colour picker's) are full ones too.
    for (const key of [0, 1, 3, 4]) {
      const full = new Uint8ClampedArray(tileSize * tileSize * 4)
      compositeTile(session.document.layers, key, full)
      expect(sameBytes(session.renderCache.compositeTileAt(key)!, full)).toBe(true)
    }
  })

  it('reports a dab across tile borders as its part of each tile', () => {
    const { session, painting, view } = paintingScene()
    session.activeLayerId = session.document.layers[0]!.id
    painting.beginPaintStroke({ x: 256, y: 256 }, 'paint')
    const dirty = view.frame()
    // Radius 30 around the corner of tiles 0, 1, 3 and 4 (three tiles a row).
    expect([...dirty.compositeRegions].sort(([a], [b]) => a - b)).toEqual([
      [0, { x: 226, y: 226, width: 30, height: 30 }],
      [1, { x: 0, y: 226, width: 30, height: 30 }],
      [3, { x: 226, y: 0, width: 30, height: 30 }],
      [4, { x: 0, y: 0, width: 30, height: 30 }],
    ])
    expect(view.tilesUnlikeFullComposite()).toEqual([])
    // Along the border between tiles 1 and 2, and off the canvas's edge.
    painting.continuePaintStroke({ x: 512, y: 40 })
    painting.continuePaintStroke({ x: 590, y: 5 })
    view.frame()
    expect(view.tilesUnlikeFullComposite()).toEqual([])
    painting.endPaintStroke()
  })

  it('leaves every tile as a full composite when a stroke is cancelled (Esc) or ended mid-way, and after undo', () => {
    const { session, painting, view, top } = paintingScene()
    const before = view.snapshot()
    painting.beginPaintStroke({ x: 100, y: 100 }, 'paint')
    painting.continuePaintStroke({ x: 350, y: 120 })
    view.frame()
    // Dabs the view has not drawn yet, then Esc.
    painting.continuePaintStroke({ x: 400, y: 300 })
    painting.cancelPaintStroke()
    const cancelled = view.frame()
    for (const key of cancelled.composite)
      expect(cancelled.compositeRegions.get(key)).toEqual(wholeTile)
    expect(view.tilesUnlikeFullComposite()).toEqual([])
    view.snapshot().forEach((tile, index) => expect(sameBytes(tile, before[index])).toBe(true))

    painting.beginPaintStroke({ x: 500, y: 350 }, 'erase')
    painting.continuePaintStroke({ x: 300, y: 200 })
    painting.endPaintStroke()
    view.frame()
    expect(view.tilesUnlikeFullComposite()).toEqual([])
    // The next stroke paints another layer: what lies under it is composited anew.
    session.activeLayerId = top.id
    painting.beginPaintStroke({ x: 250, y: 250 }, 'paint')
    painting.continuePaintStroke({ x: 450, y: 260 })
    view.frame()
    expect(view.tilesUnlikeFullComposite()).toEqual([])
    painting.endPaintStroke()
    session.history.undo()
    session.history.undo()
    view.frame()
    expect(view.tilesUnlikeFullComposite()).toEqual([])
    view.snapshot().forEach((tile, index) => expect(sameBytes(tile, before[index])).toBe(true))
  })
})
