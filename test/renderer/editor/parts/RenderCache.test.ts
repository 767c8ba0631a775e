import { describe, expect, it } from 'vitest'
import { solidImage, testEditor } from '../helpers'

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
