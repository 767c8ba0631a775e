import { describe, expect, it } from 'vitest'
import type { Editor } from '../../../../renderer/src/editor/Editor'
import { drag, patternImage, sameBytes, solidImage, testEditor } from '../helpers'

const all = (editor: Editor) => editor.document.bounds
const pixels = (editor: Editor, index: number) => editor.layers[index]!.raster.readRect(all(editor))

/** The composite the user sees, tile by tile, as one packed array. */
function composite(editor: Editor): Uint8ClampedArray {
  const { width, height } = editor.document
  const out = new Uint8ClampedArray(width * height * 4)
  const raster = editor.document.mask
  for (let ty = 0; ty < raster.tilesY; ty++) {
    for (let tx = 0; tx < raster.tilesX; tx++) {
      const key = raster.tileKey(tx, ty)
      const tile = editor.compositeTileAt(key, { cache: false })
      const rect = raster.tileRect(key)
      for (let y = 0; y < rect.height; y++) {
        for (let x = 0; x < rect.width; x++) {
          const from = (y * 256 + x) * 4
          const to = ((rect.y + y) * width + rect.x + x) * 4
          for (let c = 0; c < 4; c++) out[to + c] = tile?.[from + c] ?? 0
        }
      }
    }
  }
  return out
}

/** An editor with a transparent canvas and one 20×10 opaque red square at (30, 40). */
function squareEditor(): Editor {
  const editor = testEditor(100, 100)
  editor.addImageLayer(solidImage(20, 10, [255, 0, 0, 255]), 'Square', { x: 30, y: 40 })
  return editor
}

describe('Move tool', () => {
  it('dragging moves the active layer by the drag, as one undoable step', () => {
    const editor = squareEditor()
    const before = pixels(editor, 1)
    editor.setTool('move')
    drag(editor, [
      [35, 45],
      [40, 50],
      [47, 38],
    ])
    expect(editor.toolState).toBe('move.idle')
    const square = editor.layers[1]!
    expect(square.raster.contentBounds()).toEqual({ x: 42, y: 33, width: 20, height: 10 })
    expect(square.raster.getPixel(42, 33)).toEqual([255, 0, 0, 255])
    expect(square.raster.getPixel(30, 40)).toEqual([0, 0, 0, 0])
    expect(editor.history.nextUndoLabel).toBe('Move layer')
    expect(editor.isDirty).toBe(true)
    editor.undo()
    expect(sameBytes(pixels(editor, 1), before)).toBe(true)
    editor.redo()
    expect(square.raster.contentBounds()).toEqual({ x: 42, y: 33, width: 20, height: 10 })
  })

  it('shows the layer at every step of the drag and Esc puts it back exactly', () => {
    const editor = squareEditor()
    const before = pixels(editor, 1)
    const depth = editor.history.undoDepth
    editor.setTool('move')
    editor.pointerDown(editor.pointerEvent({ x: 10, y: 10 }, 0))
    editor.pointerMove(editor.pointerEvent({ x: 60, y: 10 }, 0))
    expect(editor.toolState).toBe('move.moving')
    expect(editor.layers[1]!.raster.contentBounds()).toEqual({
      x: 80,
      y: 40,
      width: 20,
      height: 10,
    })
    expect(editor.keyDown({ key: 'Escape' })).toBe(true)
    expect(sameBytes(pixels(editor, 1), before)).toBe(true)
    expect(editor.history.undoDepth).toBe(depth)
  })

  it('Shift keeps the move horizontal or vertical', () => {
    const editor = squareEditor()
    editor.setTool('move')
    const event = (x: number, y: number) => editor.pointerEvent({ x, y }, 0, { shiftKey: true })
    editor.pointerDown(event(0, 0))
    editor.pointerUp(event(12, 5))
    expect(editor.layers[1]!.raster.contentBounds()).toEqual({
      x: 42,
      y: 40,
      width: 20,
      height: 10,
    })
  })

  it('pixels moved past the edge are cut off; undo brings them back', () => {
    const editor = squareEditor()
    editor.setTool('move')
    drag(editor, [
      [0, 0],
      [65, 0],
    ])
    expect(editor.layers[1]!.raster.contentBounds()).toEqual({ x: 95, y: 40, width: 5, height: 10 })
    editor.undo()
    expect(editor.layers[1]!.raster.contentBounds()).toEqual({
      x: 30,
      y: 40,
      width: 20,
      height: 10,
    })
  })

  it('does not move a locked layer', () => {
    const editor = squareEditor()
    const square = editor.layers[1]!
    editor.setLayerLocked(square.id, true)
    editor.setTool('move')
    drag(editor, [
      [0, 0],
      [10, 10],
    ])
    expect(square.raster.contentBounds()).toEqual({ x: 30, y: 40, width: 20, height: 10 })
    expect(editor.history.nextUndoLabel).toBe('Lock layer')
  })

  it('arrow keys nudge 1 px, Shift+arrow 10 px, each undoable, with the Move tool', () => {
    const editor = squareEditor()
    const square = editor.layers[1]!
    editor.setTool('move')
    expect(editor.keyDown({ key: 'ArrowRight' })).toBe(true)
    expect(editor.keyDown({ key: 'ArrowDown', shiftKey: true })).toBe(true)
    expect(editor.keyDown({ key: 'ArrowLeft', shiftKey: true })).toBe(true)
    expect(editor.keyDown({ key: 'ArrowUp' })).toBe(true)
    expect(square.raster.contentBounds()).toEqual({ x: 21, y: 49, width: 20, height: 10 })
    editor.undo()
    expect(square.raster.contentBounds()).toEqual({ x: 21, y: 50, width: 20, height: 10 })
    editor.setTool('brush')
    expect(editor.keyDown({ key: 'ArrowRight' })).toBe(false)
    expect(square.raster.contentBounds()).toEqual({ x: 21, y: 50, width: 20, height: 10 })
  })
})

describe('merge down and flatten', () => {
  it('merge down composites the active layer onto the one below; the canvas does not change', () => {
    const editor = testEditor(300, 280)
    const photo = editor.layers[0]!
    editor.setLayerOpacity(photo.id, 0.8)
    const top = editor.addImageLayer(patternImage(120, 90, 128), 'Half', { x: 200, y: 230 })
    editor.setLayerOpacity(top.id, 0.5)
    const seen = composite(editor)
    expect(editor.mergeDownTarget()?.id).toBe(photo.id)
    expect(editor.keyDown({ key: 'e', ctrlKey: true })).toBe(true)
    expect(editor.layers.map((layer) => layer.name)).toEqual(['Photo'])
    expect(editor.layers[0]!.opacity).toBe(1)
    expect(editor.activeLayerId).toBe(editor.layers[0]!.id)
    const merged = composite(editor)
    let worst = 0
    for (let i = 0; i < seen.length; i++) worst = Math.max(worst, Math.abs(seen[i]! - merged[i]!))
    expect(worst).toBeLessThanOrEqual(1)
    expect(editor.history.nextUndoLabel).toBe('Merge down')
    editor.undo()
    expect(editor.layers.map((layer) => layer.id)).toEqual([photo.id, top.id])
    expect(editor.layers[1]!.opacity).toBe(0.5)
    expect(sameBytes(composite(editor), seen)).toBe(true)
  })

  it('merge down needs a visible, unlocked layer below', () => {
    const editor = squareEditor()
    const [photo, square] = editor.layers
    editor.setLayerVisible(photo!.id, false)
    expect(editor.mergeDown(square!.id)).toBe(false)
    editor.setLayerVisible(photo!.id, true)
    editor.setLayerLocked(photo!.id, true)
    expect(editor.actions.get('layer.merge-down').enabled()).toBe(false)
    editor.setLayerLocked(photo!.id, false)
    editor.selectLayer(photo!.id)
    expect(editor.mergeDown()).toBe(false)
  })

  it('flatten keeps what is seen in one layer, drops hidden layers, and undoes', () => {
    const editor = squareEditor()
    const hidden = editor.addImageLayer(solidImage(10, 10, [0, 0, 255, 255]), 'Hidden')
    editor.setLayerVisible(hidden.id, false)
    const seen = composite(editor)
    const ids = editor.layers.map((layer) => layer.id)
    expect(editor.flatten()).toBe(true)
    expect(editor.layers.map((layer) => layer.name)).toEqual(['Background'])
    expect(sameBytes(composite(editor), seen)).toBe(true)
    expect(editor.canFlatten).toBe(false)
    editor.undo()
    expect(editor.layers.map((layer) => layer.id)).toEqual(ids)
    editor.redo()
    expect(editor.layers).toHaveLength(1)
  })
})
