import { describe, expect, it } from 'vitest'
import { compositeTile } from '../../../../renderer/src/editor/compositing'
import { Editor } from '../../../../renderer/src/editor/Editor'
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

  it('draws each frame of a stroke from the layers under it kept: the same pixels as a full composite', () => {
    const editor = testEditor(300, 300)
    const middle = editor.addImageLayer(patternImage(300, 300, 120), 'middle', { x: 0, y: 0 })
    editor.addImageLayer(patternImage(200, 200, 90), 'top', { x: 100, y: 100 })
    editor.setLayerOpacity(middle.id, 0.6)
    editor.selectLayer(middle.id)
    editor.setTool('paint')
    editor.setPaintColour([250, 120, 10])
    editor.setBrushSize(60)
    editor.setBrushHardness(0.3)
    const full = (key: number) => {
      const out = new Uint8ClampedArray(tileSize * tileSize * 4)
      compositeTile(editor.document.layers, key, out)
      return out
    }
    editor.pointerDown(editor.pointerEvent({ x: 230, y: 230 }, 0))
    for (const [x, y] of [
      [260, 250],
      [280, 290],
      [240, 270],
    ] as const) {
      editor.pointerMove(editor.pointerEvent({ x, y }, 0))
      for (const key of editor.takeDirtyTiles().composite)
        expect(sameBytes(editor.compositeTileAt(key, { cache: false })!, full(key))).toBe(true)
    }
    editor.pointerUp(editor.pointerEvent({ x: 240, y: 270 }, 0))
    for (const key of [0, 1, 2, 3])
      expect(sameBytes(editor.compositeTileAt(key)!, full(key))).toBe(true)
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
