import { describe, expect, it } from 'vitest'
import type { GenerationSettings } from '../../../../renderer/src/editor/generation'
import { anchorOffset } from '../../../../renderer/src/editor/parts/CanvasOperations'
import { sameBytes, solidImage, testEditor } from '../helpers'

const settings: GenerationSettings = {
  prompt: 'more sea',
  batchSize: 1,
  guidanceScale: 3,
  baseRespacing: '20',
  upsampleRespacing: 'fast27',
  upsampleTemperature: 0.997,
  seed: 7,
  model: '',
}

describe('canvas size and crop', () => {
  it('places the old picture by anchor', () => {
    const from = { width: 100, height: 60 }
    expect(anchorOffset(from, { width: 300, height: 60 }, 'left')).toEqual({ x: 0, y: 0 })
    expect(anchorOffset(from, { width: 300, height: 60 }, 'centre')).toEqual({ x: 100, y: 0 })
    expect(anchorOffset(from, { width: 300, height: 100 }, 'bottom-right')).toEqual({
      x: 200,
      y: 40,
    })
    expect(anchorOffset(from, { width: 50, height: 30 }, 'centre')).toEqual({ x: -25, y: -15 })
  })

  it('enlarging adds transparent space; layers, mask and frame follow; one undoable step', () => {
    const editor = testEditor(256, 256)
    editor.fillMaskRect({ x: 100, y: 100, width: 20, height: 20 })
    const photo = editor.layers[0]!.raster.readRect(editor.document.bounds)
    const mask = editor.document.mask.readRect(editor.document.bounds)
    const frame = editor.document.frame
    expect(editor.resizeCanvasAnchored(384, 256, 'left')).toBe(true)
    expect([editor.document.width, editor.document.height]).toEqual([384, 256])
    const layer = editor.layers[0]!
    expect(layer.raster.width).toBe(384)
    expect(sameBytes(layer.raster.readRect({ x: 0, y: 0, width: 256, height: 256 }), photo)).toBe(
      true,
    )
    expect(layer.raster.getPixel(300, 10)).toEqual([0, 0, 0, 0])
    expect(editor.document.mask.contentBounds()).toEqual({ x: 100, y: 100, width: 20, height: 20 })
    expect(editor.document.frame).toEqual(frame)
    expect(editor.history.nextUndoLabel).toBe('Canvas size')

    editor.undo()
    expect([editor.document.width, editor.document.height]).toEqual([256, 256])
    expect(sameBytes(editor.layers[0]!.raster.readRect(editor.document.bounds), photo)).toBe(true)
    expect(sameBytes(editor.document.mask.readRect(editor.document.bounds), mask)).toBe(true)
    editor.redo()
    expect(editor.document.width).toBe(384)
  })

  it('centred enlarging shifts pixels, mask and frame by the same offset', () => {
    const editor = testEditor(100, 80)
    editor.fillMaskRect({ x: 10, y: 10, width: 5, height: 5 })
    const frame = editor.document.frame
    const before = editor.layers[0]!.raster.getPixel(7, 9)
    editor.resizeCanvasAnchored(140, 100)
    expect(editor.layers[0]!.raster.getPixel(27, 19)).toEqual(before)
    expect(editor.document.mask.contentBounds()).toEqual({ x: 30, y: 20, width: 5, height: 5 })
    expect(editor.document.frame).toEqual({ ...frame, x: frame.x + 20, y: frame.y + 10 })
  })

  it('the new space is outpainting room: a frame over it asks the model to fill it', () => {
    const editor = testEditor(256, 256)
    editor.resizeCanvasAnchored(384, 256, 'left')
    editor.setFrame({ x: 128, y: 0, width: 256, height: 256 })
    const request = editor.captureGeneration(settings, 128)
    expect(request.kind).toBe('inpaint')
    const regenerate = request.regenerate
    expect(regenerate[10 * 256 + 250]).toBe(255)
    expect(regenerate[10 * 256 + 10]).toBe(0)
  })

  it('Extend: room half the frame on one side, the frame over it and the edge, one undo step', () => {
    const editor = testEditor(600, 400)
    editor.setFrame({ x: 100, y: 50, width: 256, height: 256 })
    const photo = editor.layers[0]!.raster.readRect(editor.document.bounds)

    expect(editor.extendCanvas('right')).toBe(true)
    expect([editor.document.width, editor.document.height]).toEqual([728, 400])
    // The frame's right half is the new room, its left half the picture's last 128 columns.
    expect(editor.document.frame).toEqual({ x: 472, y: 50, width: 256, height: 256 })
    expect(editor.history.nextUndoLabel).toBe('Extend right')
    const request = editor.captureGeneration(settings, 128)
    expect(request.kind).toBe('inpaint')
    expect(request.regenerate[10 * 256 + 200]).toBe(255)
    expect(request.regenerate[10 * 256 + 100]).toBe(0)

    editor.undo()
    expect([editor.document.width, editor.document.height]).toEqual([600, 400])
    expect(editor.document.frame).toEqual({ x: 100, y: 50, width: 256, height: 256 })

    // Left and up move the picture; the frame stays over the same rows or columns along the side.
    expect(editor.extendCanvas('left')).toBe(true)
    expect(editor.document.width).toBe(728)
    expect(
      sameBytes(
        editor.layers[0]!.raster.readRect({ x: 128, y: 0, width: 600, height: 400 }),
        photo,
      ),
    ).toBe(true)
    expect(editor.document.frame).toEqual({ x: 0, y: 50, width: 256, height: 256 })
    expect(editor.extendCanvas('up')).toBe(true)
    expect(editor.document.height).toBe(528)
    expect(editor.document.frame).toEqual({ x: 0, y: 0, width: 256, height: 256 })
    expect(editor.extendCanvas('down')).toBe(true)
    expect(editor.document.height).toBe(656)
    expect(editor.document.frame).toEqual({ x: 0, y: 400, width: 256, height: 256 })
    expect(editor.actions.get('canvas.extend-down').label).toBe('Extend down')
  })

  it('Extend refuses to pass the largest canvas', () => {
    const editor = testEditor(8190, 64)
    editor.setFrame({ x: 0, y: 0, width: 256, height: 256 })
    expect(editor.actions.get('canvas.extend-right').enabled()).toBe(false)
    expect(editor.extendCanvas('right')).toBe(false)
    expect(editor.document.width).toBe(8190)
    expect(editor.canExtend('down')).toBe(true)
  })

  it('crops to the frame and to a rectangle; sizes out of range are refused', () => {
    const editor = testEditor(300, 200)
    const pixel = editor.layers[0]!.raster.getPixel(120, 70)
    editor.setFrame({ x: 100, y: 50, width: 64, height: 64 })
    expect(editor.cropToFrame()).toBe(true)
    expect([editor.document.width, editor.document.height]).toEqual([64, 64])
    expect(editor.layers[0]!.raster.getPixel(20, 20)).toEqual(pixel)
    expect(editor.document.frame).toEqual({ x: 0, y: 0, width: 64, height: 64 })
    expect(editor.history.nextUndoLabel).toBe('Crop to frame')
    editor.undo()
    expect(editor.document.width).toBe(300)
    expect(editor.cropTo({ x: 290, y: 190, width: 50, height: 50 })).toBe(true)
    expect([editor.document.width, editor.document.height]).toEqual([10, 10])
    expect(() => editor.resizeCanvas(0, 10, { x: 0, y: 0 })).toThrow(/between 1 and 8192/)
    expect(() => editor.resizeCanvas(9000, 10, { x: 0, y: 0 })).toThrow(RangeError)
    expect(editor.resizeCanvas(10, 10, { x: 0, y: 0 })).toBe(false)
  })

  it('tells views the canvas changed and redraws everything', () => {
    const editor = testEditor(64, 64)
    editor.takeDirtyTiles()
    const seen: string[] = []
    editor.subscribe((changes) => seen.push(...changes))
    editor.resizeCanvasAnchored(600, 64)
    expect(seen).toContain('canvas')
    expect(editor.takeDirtyTiles().all).toBe(true)
  })

  it('results of a job queued before a resize land on the pixels it was queued for', () => {
    const editor = testEditor(300, 300)
    editor.fillMaskRect({ x: 100, y: 100, width: 40, height: 40 })
    const request = editor.captureGeneration(settings, 128)
    const frame = request.frame
    editor.resizeCanvasAnchored(500, 400, 'bottom-right')
    editor.stageResults(request, [solidImage(128, 128, [0, 255, 0, 255])])
    expect(editor.stagedCandidate?.rect).toEqual({ ...frame, x: frame.x + 200, y: frame.y + 100 })
    editor.undo()
    expect(editor.stagedCandidate?.rect).toEqual(frame)
    editor.redo()
    expect(editor.acceptStaged()).toBe(true)
    const layer = editor.layers.at(-1)!
    expect(layer.raster.getPixel(320, 220)[1]).toBe(255)
    expect(layer.raster.getPixel(120, 120)).toEqual([0, 0, 0, 0])
  })
})
