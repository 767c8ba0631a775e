import { describe, expect, it } from 'vitest'
import { Editor } from '../../../renderer/src/editor/Editor'
import { drag, maskSnapshot, sameBytes, testEditor } from './helpers'

describe('history', () => {
  it('undoes and redoes 150 mask strokes exactly, one step each', () => {
    const editor = testEditor(600, 400)
    editor.setBrushSize(12)
    const snapshots = [maskSnapshot(editor)]
    for (let i = 0; i < 150; i++) {
      const y = 10 + (i % 38) * 10
      const x = 10 + Math.floor(i / 38) * 140
      drag(
        editor,
        [
          [x, y],
          [x + 60, y + 5],
          [x + 120, y],
        ],
        { altKey: i % 7 === 6 },
      )
      snapshots.push(maskSnapshot(editor))
    }
    expect(editor.history.undoDepth).toBe(150)
    for (let i = 150; i > 0; i--) {
      expect(editor.undo()).toBe(true)
      expect(sameBytes(maskSnapshot(editor), snapshots[i - 1])).toBe(true)
    }
    expect(editor.undo()).toBe(false)
    for (let i = 1; i <= 150; i++) {
      expect(editor.redo()).toBe(true)
      expect(sameBytes(maskSnapshot(editor), snapshots[i])).toBe(true)
    }
  })

  it('keeps only the tiles a stroke touched, not snapshots of the document', () => {
    const editor = Editor.blank(4096, 4096)
    editor.viewport.setSize(4096, 4096)
    editor.setBrushSize(20)
    drag(editor, [
      [100, 100],
      [140, 120],
    ])
    expect(editor.history.nextUndoLabel).toBe('Brush')
    // A stroke inside one 256² tile of a one-byte mask: that tile's "after" only (it was empty).
    expect(editor.history.retainedBytes).toBe(256 * 256)
    drag(editor, [
      [250, 100],
      [262, 100],
    ])
    expect(editor.history.retainedBytes).toBe(256 * 256 + 2 * (2 * 256 * 256) - 256 * 256)
  })

  it('drops the redo branch after a new change and caps its depth', () => {
    const editor = testEditor(300, 300)
    editor.addLayer('A')
    editor.addLayer('B')
    editor.undo()
    expect(editor.history.canRedo).toBe(true)
    editor.addLayer('C')
    expect(editor.history.canRedo).toBe(false)
    expect(editor.layers.map((layer) => layer.name)).toEqual(['Photo', 'A', 'C'])
    for (let i = 0; i < 260; i++)
      editor.setLayerOpacity(editor.layers[0]!.id, (i % 100) / 100 + 0.001)
    expect(editor.history.undoDepth).toBe(200)
  })

  it('marks the document dirty on changes and clean again when undone to the save point', () => {
    const editor = testEditor(100, 100)
    expect(editor.isDirty).toBe(false)
    editor.addLayer()
    expect(editor.isDirty).toBe(true)
    editor.markSaved()
    editor.fillMaskRect({ x: 0, y: 0, width: 10, height: 10 })
    expect(editor.isDirty).toBe(true)
  })

  it('goes to any step of the list at once, back or forward, as one change; lists done and undone', () => {
    const editor = testEditor(300, 200)
    editor.setBrushSize(12)
    const snapshots = [maskSnapshot(editor)]
    for (let i = 0; i < 4; i++) {
      drag(editor, [
        [20 + i * 60, 50],
        [60 + i * 60, 60],
      ])
      snapshots.push(maskSnapshot(editor))
    }
    editor.invertMask()
    snapshots.push(maskSnapshot(editor))
    expect(editor.historySteps).toEqual({
      done: ['Brush', 'Brush', 'Brush', 'Brush', 'Invert mask'],
      undone: [],
      droppedOldest: false,
    })
    let notified = 0
    editor.subscribe(() => (notified += 1))
    expect(editor.goToHistoryStep(1)).toBe(true)
    expect(notified).toBe(1)
    expect(sameBytes(maskSnapshot(editor), snapshots[1])).toBe(true)
    expect(editor.historySteps).toMatchObject({
      done: ['Brush'],
      undone: ['Brush', 'Brush', 'Brush', 'Invert mask'],
    })
    expect(editor.goToHistoryStep(4)).toBe(true)
    expect(sameBytes(maskSnapshot(editor), snapshots[4])).toBe(true)
    expect(editor.goToHistoryStep(0)).toBe(true)
    expect(sameBytes(maskSnapshot(editor), snapshots[0])).toBe(true)
    for (const missing of [6, -1, 2.5]) expect(editor.goToHistoryStep(missing)).toBe(false)
    expect(editor.goToHistoryStep(5)).toBe(true)
    expect(sameBytes(maskSnapshot(editor), snapshots[5])).toBe(true)
    // A new step from the middle drops the undone ones, as undo then an edit does.
    editor.goToHistoryStep(2)
    editor.clearMask()
    expect(editor.historySteps).toMatchObject({
      done: ['Brush', 'Brush', 'Clear mask'],
      undone: [],
    })
  })

  it('says when the oldest steps were dropped for the limit', () => {
    const editor = testEditor(100, 100)
    for (let i = 0; i < editor.history.limit; i++) editor.invertMask()
    expect(editor.historySteps.droppedOldest).toBe(false)
    editor.invertMask()
    expect(editor.historySteps.droppedOldest).toBe(true)
    expect(editor.historySteps.done).toHaveLength(editor.history.limit)
  })
})
