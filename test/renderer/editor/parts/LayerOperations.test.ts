import { describe, expect, it } from 'vitest'
import type { Editor } from '../../../../renderer/src/editor/Editor'
import { resampleRgba } from '../../../../imaging/resample'
import { cornerAt, scaledBox } from '../../../../renderer/src/editor/tools/MoveTool'
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

describe('Move tool: scaling by the corners', () => {
  const box = (editor: Editor, index = 1) => editor.layers[index]!.raster.contentBounds()

  it('a corner dragged scales the layer about the opposite one, keeping proportions, one undo step', () => {
    const editor = squareEditor()
    const before = pixels(editor, 1)
    editor.setTool('move')
    expect(editor.layerTransformBox).toEqual({ x: 30, y: 40, width: 20, height: 10 })
    // Pressed just outside the bottom-right corner, dragged 20 px right: twice the width, and
    // twice the height with it.
    drag(editor, [
      [52, 52],
      [62, 52],
      [72, 52],
    ])
    expect(editor.toolState).toBe('move.idle')
    expect(box(editor)).toEqual({ x: 30, y: 40, width: 40, height: 20 })
    expect(editor.layers[1]!.raster.getPixel(69, 59)).toEqual([255, 0, 0, 255])
    expect(editor.history.nextUndoLabel).toBe('Scale layer')
    expect(editor.isDirty).toBe(true)
    editor.undo()
    expect(sameBytes(pixels(editor, 1), before)).toBe(true)
    editor.redo()
    expect(box(editor)).toEqual({ x: 30, y: 40, width: 40, height: 20 })
  })

  it('Shift frees the proportions; the top-left corner keeps the bottom-right in place', () => {
    const editor = squareEditor()
    editor.setTool('move')
    const event = (x: number, y: number) => editor.pointerEvent({ x, y }, 0, { shiftKey: true })
    editor.pointerDown(event(29, 39))
    expect(editor.toolState).toBe('move.scaling')
    editor.pointerUp(event(19, 39))
    expect(box(editor)).toEqual({ x: 20, y: 40, width: 30, height: 10 })
  })

  it('the canvas follows the drag; Esc puts the pixels back exactly, with no undo step', () => {
    const editor = squareEditor()
    const before = pixels(editor, 1)
    const depth = editor.history.undoDepth
    editor.setTool('move')
    editor.pointerDown(editor.pointerEvent({ x: 51, y: 51 }, 0))
    editor.pointerMove(editor.pointerEvent({ x: 61, y: 51 }, 0))
    expect(box(editor)).toEqual({ x: 30, y: 40, width: 30, height: 15 })
    expect(editor.layerTransformBox).toEqual({ x: 30, y: 40, width: 30, height: 15 })
    const shown = composite(editor)
    const at = (x: number, y: number) => [
      ...shown.subarray((y * 100 + x) * 4, (y * 100 + x) * 4 + 4),
    ]
    expect(at(58, 53)).toEqual([255, 0, 0, 255])
    expect(editor.keyDown({ key: 'Escape' })).toBe(true)
    expect(sameBytes(pixels(editor, 1), before)).toBe(true)
    expect(editor.history.undoDepth).toBe(depth)
  })

  it('the scaled pixels are resampled (Lanczos up, area average down), not the preview', () => {
    const editor = testEditor(100, 100)
    const pattern = patternImage(20, 10)
    editor.addImageLayer(pattern, 'Pattern', { x: 30, y: 40 })
    editor.setTool('move')
    drag(editor, [
      [51, 51],
      [71, 51],
    ])
    const scaled = editor.layers[1]!.raster.readRect({ x: 30, y: 40, width: 40, height: 20 })
    expect(sameBytes(scaled, resampleRgba(pattern, 40, 20).data)).toBe(true)
    drag(editor, [
      [71, 61],
      [51, 61],
    ])
    const back = editor.layers[1]!.raster.readRect({ x: 30, y: 40, width: 20, height: 10 })
    expect(sameBytes(back, resampleRgba(resampleRgba(pattern, 40, 20), 20, 10).data)).toBe(true)
  })

  it('enlarged past the canvas, the part on it is kept; undo brings the whole layer back', () => {
    const editor = squareEditor()
    editor.setTool('move')
    drag(editor, [
      [51, 51],
      [171, 51],
    ])
    expect(box(editor)).toEqual({ x: 30, y: 40, width: 70, height: 60 })
    editor.undo()
    expect(box(editor)).toEqual({ x: 30, y: 40, width: 20, height: 10 })
  })

  it('the cursor over a corner handle says which way it scales; elsewhere, and with other tools, none', () => {
    const editor = squareEditor()
    editor.setTool('move')
    expect(editor.cursorAt({ x: 52, y: 52 })).toBe('nwse-resize')
    expect(editor.cursorAt({ x: 28, y: 52 })).toBe('nesw-resize')
    expect(editor.cursorAt({ x: 40, y: 45 })).toBeNull()
    editor.pointerDown(editor.pointerEvent({ x: 52, y: 52 }, 0))
    editor.pointerMove(editor.pointerEvent({ x: 90, y: 90 }, 0))
    expect(editor.cursorAt({ x: 10, y: 10 })).toBe('nwse-resize')
    editor.pointerUp(editor.pointerEvent({ x: 90, y: 90 }, 0))
    editor.setTool('brush')
    expect(editor.cursorAt({ x: 52, y: 52 })).toBeNull()
  })

  it('a locked layer or an empty one shows no box and is not scaled', () => {
    const editor = squareEditor()
    editor.setTool('move')
    editor.setLayerLocked(editor.layers[1]!.id, true)
    expect(editor.layerTransformBox).toBeNull()
    editor.addLayer()
    expect(editor.layerTransformBox).toBeNull()
    drag(editor, [
      [51, 51],
      [71, 51],
    ])
    expect(editor.history.nextUndoLabel).not.toBe('Scale layer')
  })
})

describe('scaledBox', () => {
  const box = { x: 10, y: 10, width: 40, height: 20 }
  it('keeps proportions by the axis dragged further, frees them on request, never below 1 px', () => {
    const keep = { keepProportions: true, maxSide: 1000 }
    expect(scaledBox(box, 'se', { x: 40, y: 0 }, keep)).toEqual({
      x: 10,
      y: 10,
      width: 80,
      height: 40,
    })
    expect(scaledBox(box, 'se', { x: 0, y: 20 }, keep)).toEqual({
      x: 10,
      y: 10,
      width: 80,
      height: 40,
    })
    expect(scaledBox(box, 'ne', { x: -20, y: 0 }, keep)).toEqual({
      x: 10,
      y: 20,
      width: 20,
      height: 10,
    })
    const free = { keepProportions: false, maxSide: 1000 }
    expect(scaledBox(box, 'sw', { x: 10, y: 5 }, free)).toEqual({
      x: 20,
      y: 10,
      width: 30,
      height: 25,
    })
    expect(scaledBox(box, 'se', { x: -500, y: -500 }, free)).toEqual({
      x: 10,
      y: 10,
      width: 1,
      height: 1,
    })
  })

  it('stops at the largest side allowed, proportions kept', () => {
    const scaled = scaledBox(box, 'se', { x: 4000, y: 0 }, { keepProportions: true, maxSide: 200 })
    expect(scaled).toEqual({ x: 10, y: 10, width: 200, height: 100 })
  })
})

describe('cornerAt', () => {
  it('grabs a corner within the radius outside the box, within a quarter of a side inside it', () => {
    const box = { x: 0, y: 0, width: 100, height: 100 }
    expect(cornerAt(box, { x: -8, y: -8 }, 10)).toBe('nw')
    expect(cornerAt(box, { x: 104, y: 96 }, 10)).toBe('se')
    expect(cornerAt(box, { x: 4, y: 96 }, 10)).toBe('sw')
    expect(cornerAt(box, { x: 8, y: 8 }, 10)).toBeNull()
    expect(cornerAt(box, { x: 50, y: 50 }, 10)).toBeNull()
    expect(cornerAt({ x: 0, y: 0, width: 8, height: 8 }, { x: 3, y: 3 }, 10)).toBeNull()
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
