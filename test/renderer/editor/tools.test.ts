import { describe, expect, it } from 'vitest'
import { autoFitFrame, dragFrame } from '../../../renderer/src/editor/frame'
import { Editor } from '../../../renderer/src/editor/Editor'
import { drag, maskSnapshot, patternImage, sameBytes, testEditor } from './helpers'

describe('tools as state machines', () => {
  it('brush: idle → drawing → idle, painting a round stroke into the mask', () => {
    const editor = testEditor(200, 200)
    editor.setTool('brush')
    editor.setBrushSize(20)
    expect(editor.toolState).toBe('brush.idle')
    editor.pointerDown(editor.pointerEvent({ x: 50, y: 50 }, 0))
    expect(editor.toolState).toBe('brush.drawing')
    editor.pointerMove(editor.pointerEvent({ x: 150, y: 50 }, 0))
    editor.pointerUp(editor.pointerEvent({ x: 150, y: 50 }, 0))
    expect(editor.toolState).toBe('brush.idle')
    const mask = editor.document.mask
    expect(mask.getPixel(100, 50)).toEqual([255])
    expect(mask.getPixel(100, 70)).toEqual([0])
    expect(mask.contentBounds()).toEqual({ x: 40, y: 40, width: 120, height: 20 })
  })

  it('eraser lowers the mask; Esc mid-stroke reverts the stroke', () => {
    const editor = testEditor(200, 200)
    editor.fillMaskRect({ x: 0, y: 0, width: 200, height: 200 })
    const before = maskSnapshot(editor)
    editor.setTool('eraser')
    editor.setBrushSize(30)
    editor.pointerDown(editor.pointerEvent({ x: 100, y: 100 }, 0))
    editor.pointerMove(editor.pointerEvent({ x: 120, y: 100 }, 0))
    expect(editor.document.mask.getPixel(110, 100)).toEqual([0])
    expect(editor.keyDown({ key: 'Escape' })).toBe(true)
    expect(editor.toolState).toBe('eraser.idle')
    expect(sameBytes(maskSnapshot(editor), before)).toBe(true)
    expect(editor.history.nextUndoLabel).toBe('Rectangle mask')
  })

  it('a mask erased to nothing, or inverted and undone, is no mask: Clear mask is off, the tiles freed', () => {
    const editor = testEditor(600, 400)
    editor.invertMask()
    expect(editor.actions.get('mask.clear').enabled()).toBe(true)
    editor.undo()
    expect(editor.document.mask.allocatedTileCount).toBe(0)
    expect(editor.actions.get('mask.clear').enabled()).toBe(false)
    editor.redo()
    editor.undo()
    expect(editor.document.mask.allocatedTileCount).toBe(0)

    editor.setBrushSize(20)
    editor.setBrushHardness(1)
    editor.setTool('brush')
    drag(editor, [
      [100, 100],
      [300, 100],
    ])
    expect(editor.document.mask.allocatedTileCount).toBeGreaterThan(0)
    editor.setBrushSize(80)
    editor.setTool('eraser')
    drag(editor, [
      [60, 100],
      [340, 100],
    ])
    expect(editor.document.mask.contentBounds()).toBeNull()
    expect(editor.document.mask.allocatedTileCount).toBe(0)
    expect(editor.actions.get('mask.clear').enabled()).toBe(false)
    // Undo brings the stroke back, redo erases it again.
    editor.undo()
    expect(editor.document.mask.getPixel(200, 100)).toEqual([255])
    editor.redo()
    expect(editor.document.mask.allocatedTileCount).toBe(0)
  })

  it('soft brushes fade towards the edge', () => {
    const editor = testEditor(100, 100)
    editor.setBrushSize(40)
    editor.setBrushHardness(0)
    drag(editor, [[50, 50]])
    const centre = editor.document.mask.getPixel(50, 50)[0]!
    const edge = editor.document.mask.getPixel(50 + 15, 50)[0]!
    expect(centre).toBeGreaterThan(240)
    expect(edge).toBeGreaterThan(0)
    expect(edge).toBeLessThan(100)
  })

  it('[ and ] change the brush size', () => {
    const editor = testEditor(10, 10)
    editor.setBrushSize(50)
    editor.keyDown({ key: ']' })
    expect(editor.brush.size).toBe(60)
    editor.keyDown({ key: '[' })
    editor.keyDown({ key: '[' })
    expect(editor.brush.size).toBe(42)
  })

  it('reads and sets the tool options a session remembers, within the toolbar limits', () => {
    const editor = testEditor(200, 200)
    expect(editor.toolSettings).toEqual({
      brushSize: 64,
      brushHardness: 0.8,
      paintColour: '#000000',
    })
    let notified = 0
    editor.subscribe((changes) => {
      if (changes.has('tool')) notified += 1
    })
    editor.applyToolSettings({ brushSize: 120, brushHardness: 0.3, paintColour: '#2050E0' })
    expect(notified).toBe(1)
    expect(editor.brush).toEqual({ size: 120, hardness: 0.3 })
    expect(editor.paintColour).toEqual([0x20, 0x50, 0xe0])
    expect(editor.toolSettings).toEqual({
      brushSize: 120,
      brushHardness: 0.3,
      paintColour: '#2050e0',
    })
    // Out of range or malformed: clamped, or the colour left as it was.
    editor.applyToolSettings({ brushSize: 5000, brushHardness: -1, paintColour: 'blue' })
    expect(editor.toolSettings).toEqual({
      brushSize: 1024,
      brushHardness: 0,
      paintColour: '#2050e0',
    })
    editor.applyToolSettings({ brushHardness: 0.5 })
    expect(editor.brush).toEqual({ size: 1024, hardness: 0.5 })
  })

  it('rectangle mask: idle → dragging → idle, Alt erases', () => {
    const editor = testEditor(200, 200)
    editor.setTool('rect-mask')
    editor.pointerDown(editor.pointerEvent({ x: 10, y: 20 }, 0))
    editor.pointerMove(editor.pointerEvent({ x: 60, y: 90 }, 0))
    expect(editor.toolState).toBe('rect-mask.dragging')
    expect(editor.rectPreview).toEqual({ x: 10, y: 20, width: 50, height: 70 })
    editor.pointerUp(editor.pointerEvent({ x: 60, y: 90 }, 0))
    expect(editor.document.mask.contentBounds()).toEqual({ x: 10, y: 20, width: 50, height: 70 })
    drag(
      editor,
      [
        [10, 20],
        [60, 50],
      ],
      { altKey: true },
    )
    expect(editor.document.mask.contentBounds()).toEqual({ x: 10, y: 50, width: 50, height: 40 })
  })

  it('pans with the middle button or space-drag whatever the tool, without touching the mask', () => {
    const editor = testEditor(200, 200)
    editor.setTool('brush')
    drag(
      editor,
      [
        [100, 100],
        [130, 90],
      ],
      { button: 1 },
    )
    expect([editor.viewport.offsetX, editor.viewport.offsetY]).toEqual([30, -10])
    editor.keyDown({ key: ' ' })
    drag(editor, [
      [100, 100],
      [90, 100],
    ])
    editor.keyUp({ key: ' ' })
    expect(editor.viewport.offsetX).toBe(20)
    expect(editor.document.mask.allocatedTileCount).toBe(0)
  })

  it('zooms at the pointer, to fit and to 100 %', () => {
    const editor = testEditor(400, 200)
    editor.setViewportSize(200, 100)
    editor.zoomAt({ x: 50, y: 50 }, 2)
    expect(editor.viewport.toDocument({ x: 50, y: 50 })).toEqual({ x: 50, y: 50 })
    expect(editor.viewport.scale).toBe(2)
    editor.keyDown({ key: '0', ctrlKey: true })
    expect(editor.viewport.scale).toBeCloseTo((100 - 48) / 200)
    editor.keyDown({ key: '1', metaKey: true })
    expect(editor.viewport.scale).toBe(1)
  })

  it('frame tool: moving inside, resizing from a corner keeps it square; undoable', () => {
    const editor = testEditor(1000, 1000)
    editor.setFrame({ x: 100, y: 100, width: 300, height: 300 })
    editor.setTool('frame')
    drag(editor, [
      [200, 200],
      [250, 230],
    ])
    expect(editor.document.frame).toEqual({ x: 150, y: 130, width: 300, height: 300 })
    editor.pointerDown(editor.pointerEvent({ x: 450, y: 430 }, 0))
    expect(editor.toolState).toBe('frame.resizing')
    editor.pointerMove(editor.pointerEvent({ x: 500, y: 440 }, 0))
    editor.pointerUp(editor.pointerEvent({ x: 500, y: 440 }, 0))
    expect(editor.document.frame).toEqual({ x: 150, y: 130, width: 350, height: 350 })
    editor.undo()
    expect(editor.document.frame).toEqual({ x: 150, y: 130, width: 300, height: 300 })
    // Moved by hand: painting no longer re-fits it.
    editor.fillMaskRect({ x: 800, y: 800, width: 20, height: 20 })
    expect(editor.document.frame.x).toBe(150)
  })
})

describe('frame auto-fit', () => {
  it('centres a padded square on the mask', () => {
    expect(
      autoFitFrame({ x: 400, y: 300, width: 200, height: 100 }, { width: 2000, height: 1000 }),
    ).toEqual({
      x: 368,
      y: 218,
      width: 264,
      height: 264,
    })
  })

  it('keeps a minimum side and stays inside the canvas', () => {
    expect(
      autoFitFrame({ x: 5, y: 990, width: 4, height: 4 }, { width: 2000, height: 1000 }),
    ).toEqual({
      x: 0,
      y: 744,
      width: 256,
      height: 256,
    })
  })

  it('never exceeds the longer side, centring on an axis that is too short', () => {
    expect(
      autoFitFrame({ x: 0, y: 0, width: 600, height: 300 }, { width: 600, height: 300 }),
    ).toEqual({
      x: 0,
      y: -150,
      width: 600,
      height: 600,
    })
  })

  it('follows the mask after painting with the brush', () => {
    const editor = testEditor(2000, 2000)
    editor.setBrushSize(100)
    drag(editor, [
      [1000, 1000],
      [1200, 1000],
    ])
    expect(editor.document.frame).toEqual(
      autoFitFrame({ x: 950, y: 950, width: 300, height: 100 }, editor.document),
    )
    editor.undo()
    expect(editor.document.frame).not.toEqual(
      autoFitFrame({ x: 950, y: 950, width: 300, height: 100 }, editor.document),
    )
  })

  it('keeps to the picture on a larger canvas unless its layer is hidden', () => {
    // A 512 px picture in the middle of a blank 1024 px canvas, as text to image leaves it.
    const editor = Editor.blank(1024, 1024)
    editor.addImageLayer(patternImage(512, 512), 'Picture', { x: 256, y: 256 })
    editor.fillMaskRect({ x: 540, y: 298, width: 208, height: 222 })
    expect(editor.document.frame).toEqual({ x: 482, y: 266, width: 286, height: 286 })
    const picture = editor.layers.at(-1)!
    editor.setLayerVisible(picture.id, false)
    editor.fitFrameToMask()
    // Hidden, the picture is blank to the models too: the frame fits to the canvas again.
    expect(editor.document.frame.x + editor.document.frame.width).toBeGreaterThan(768)
  })

  it('drags a corner anchoring the opposite one', () => {
    const start = { x: 100, y: 100, width: 200, height: 200 }
    expect(dragFrame(start, 'nw', -50, -10, { minSide: 64, maxSide: 1000 })).toEqual({
      x: 50,
      y: 50,
      width: 250,
      height: 250,
    })
    expect(dragFrame(start, 'se', -500, 0, { minSide: 64, maxSide: 1000 }).width).toBe(64)
  })
})
