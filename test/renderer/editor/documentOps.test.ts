import { describe, expect, it } from 'vitest'
import { Editor } from '../../../renderer/src/editor/Editor'
import { EditorDocument } from '../../../renderer/src/editor/EditorDocument'
import { patternImage, sameBytes, solidImage, testEditor } from './helpers'

const names = (editor: Editor) => editor.layers.map((layer) => layer.name)

describe('document operations', () => {
  it('refuses canvases over 8192 pixels a side', () => {
    expect(() => new EditorDocument(8193, 10)).toThrow(RangeError)
    expect(new EditorDocument(8192, 8192).width).toBe(8192)
  })

  it('adds, duplicates, renames, reorders and deletes layers, each undoable', () => {
    const editor = testEditor(64, 64)
    const photo = editor.layers[0]!
    const a = editor.addLayer('A')
    const copy = editor.duplicateLayer(photo.id)!
    expect(names(editor)).toEqual(['Photo', 'Photo copy', 'A'])
    expect(
      sameBytes(
        copy.raster.readRect(editor.document.bounds),
        photo.raster.readRect(editor.document.bounds),
      ),
    ).toBe(true)
    expect(copy.raster).not.toBe(photo.raster)
    editor.renameLayer(a.id, '  Sky  ')
    editor.moveLayer(a.id, 0)
    expect(names(editor)).toEqual(['Sky', 'Photo', 'Photo copy'])
    editor.deleteLayer(copy.id)
    expect(names(editor)).toEqual(['Sky', 'Photo'])
    editor.undo()
    expect(names(editor)).toEqual(['Sky', 'Photo', 'Photo copy'])
    editor.undo()
    expect(names(editor)).toEqual(['Photo', 'Photo copy', 'Sky'])
    editor.undo()
    expect(names(editor)).toEqual(['Photo', 'Photo copy', 'A'])
    editor.redo()
    editor.redo()
    editor.redo()
    expect(names(editor)).toEqual(['Sky', 'Photo'])
  })

  it('applies visibility and opacity to the composite, and undoes them', () => {
    const editor = Editor.fromImage(solidImage(32, 32, [0, 0, 255, 255]), 'Blue')
    const red = editor.addImageLayer(solidImage(32, 32, [255, 0, 0, 255]), 'Red', { x: 0, y: 0 })
    const key = 0
    expect(Array.from(editor.compositeTileAt(key)!.subarray(0, 4))).toEqual([255, 0, 0, 255])
    editor.setLayerOpacity(red.id, 0.5)
    expect(Array.from(editor.compositeTileAt(key)!.subarray(0, 4))).toEqual([128, 0, 128, 255])
    editor.setLayerVisible(red.id, false)
    expect(Array.from(editor.compositeTileAt(key)!.subarray(0, 4))).toEqual([0, 0, 255, 255])
    editor.undo()
    editor.undo()
    expect(Array.from(editor.compositeTileAt(key)!.subarray(0, 4))).toEqual([255, 0, 0, 255])
  })

  it('protects locked layers from deletion and reordering', () => {
    const editor = testEditor(16, 16)
    const photo = editor.layers[0]!
    editor.addLayer('Top')
    editor.setLayerLocked(photo.id, true)
    expect(editor.deleteLayer(photo.id)).toBe(false)
    expect(editor.moveLayer(photo.id, 1)).toBe(false)
    expect(names(editor)).toEqual(['Photo', 'Top'])
    editor.undo()
    expect(editor.deleteLayer(photo.id)).toBe(true)
  })

  it('places an imported image at the drop point, clipped to the canvas', () => {
    const editor = Editor.blank(100, 80)
    const layer = editor.addImageLayer(patternImage(40, 40), 'Dropped', { x: 70, y: -10 })
    expect(layer.raster.contentBounds()).toEqual({ x: 70, y: 0, width: 30, height: 30 })
    expect(layer.raster.getPixel(70, 0)).toEqual([0, 10, (10 * 13) & 255, 255])
    expect(editor.layers.at(-1)).toBe(layer)
  })

  it('an opened picture (frame at the default place) fits the frame around the first mask', () => {
    // The Show case: a 640×448 picture opened from a file, a square masked on the right. A frame
    // left where it was would cut the fill (and the star in it) at its edge.
    const opened = Editor.fromProjectData(
      Editor.fromImage(solidImage(640, 448, [168, 208, 240, 255]), 'sky').toProjectData(),
    )
    expect(opened.frameFollowsMask).toBe(true)
    opened.fillMaskRect({ x: 440, y: 144, width: 160, height: 160 })
    const { frame } = opened.document
    expect(frame.x).toBeLessThanOrEqual(440)
    expect(frame.x + frame.width).toBeGreaterThanOrEqual(600)
    expect(frame.y).toBeLessThanOrEqual(144)
    expect(frame.y + frame.height).toBeGreaterThanOrEqual(304)

    // A frame the user placed stays where it was saved.
    const placed = testEditor(640, 448)
    placed.setFrame({ x: 0, y: 0, width: 300, height: 300 })
    const reopened = Editor.fromProjectData(placed.toProjectData())
    expect(reopened.frameFollowsMask).toBe(false)
    reopened.fillMaskRect({ x: 440, y: 144, width: 160, height: 160 })
    expect(reopened.document.frame).toEqual({ x: 0, y: 0, width: 300, height: 300 })
  })

  it('round-trips through the project data the contract carries', () => {
    const editor = testEditor(300, 280)
    editor.addImageLayer(patternImage(50, 60, 128), 'Half', { x: 260, y: 10 })
    editor.setLayerOpacity(editor.layers[1]!.id, 0.25)
    editor.fillMaskRect({ x: 20, y: 30, width: 40, height: 50 })
    const project = editor.toProjectData()
    expect(project.layers[1]!.pixels!.bounds).toEqual({ x: 260, y: 10, width: 40, height: 60 })
    expect(project.mask!.bounds).toEqual({ x: 20, y: 30, width: 40, height: 50 })
    const again = Editor.fromProjectData(project).toProjectData()
    const withoutPixels = (data: typeof project) => ({
      ...data,
      mask: data.mask?.bounds,
      layers: data.layers.map((layer) => ({ ...layer, pixels: layer.pixels?.bounds })),
    })
    expect(withoutPixels(again)).toEqual(withoutPixels(project))
    project.layers.forEach((layer, index) => {
      expect(sameBytes(layer.pixels!.data, again.layers[index]!.pixels?.data)).toBe(true)
    })
    expect(sameBytes(project.mask!.data, again.mask?.data)).toBe(true)
  })
})

describe('document name', () => {
  it('a rename is a change to save but not an undo step; blank names are refused', () => {
    const editor = testEditor(32, 32)
    const heard: string[] = []
    editor.subscribe((changes) => heard.push(...changes))
    expect(editor.renameDocument('  Harbour at dusk  ')).toBe(true)
    expect(editor.document.title).toBe('Harbour at dusk')
    expect(editor.isDirty).toBe(true)
    expect(editor.history.canUndo).toBe(false)
    expect(heard).toEqual(['title'])
    expect(editor.renameDocument('   ')).toBe(false)
    expect(editor.renameDocument('Harbour at dusk')).toBe(false)
    expect(editor.document.title).toBe('Harbour at dusk')
    editor.renameDocument('x'.repeat(300))
    expect(editor.document.title).toHaveLength(200)
    expect(editor.toProjectData().title).toBe('x'.repeat(200))
  })

  it('saving under a chosen file name names the document and leaves it saved', () => {
    const editor = testEditor(32, 32)
    editor.addLayer('A')
    const heard: string[] = []
    editor.subscribe((changes) => heard.push(...changes))
    editor.markSaved(undefined, 'Beach day')
    expect([editor.document.title, editor.isDirty]).toEqual(['Beach day', false])
    expect(heard).toEqual(['saved', 'title'])
    editor.markSaved()
    expect(editor.document.title).toBe('Beach day')
  })
})

describe('copy', () => {
  it('copies the active layer trimmed to what it holds, or the visible layers flattened', () => {
    const editor = Editor.blank(100, 80, 'Harbour')
    expect(editor.imageToCopy(false)).toBeNull()
    expect(editor.imageToCopy(true)).toBeNull()
    editor.addImageLayer(solidImage(20, 10, [200, 0, 0, 255]), 'Red', { x: 5, y: 6 })
    const red = editor.imageToCopy(false)!
    expect([red.name, red.image.width, red.image.height]).toEqual(['Red', 20, 10])
    expect([...red.image.data.subarray(0, 4)]).toEqual([200, 0, 0, 255])
    const blue = editor.addImageLayer(solidImage(10, 10, [0, 0, 200, 255]), 'Blue', {
      x: 60,
      y: 50,
    })
    const merged = editor.imageToCopy(true)!
    // From the red layer's corner to the blue one's: 65 × 54, transparent between them.
    expect([merged.name, merged.image.width, merged.image.height]).toEqual(['Harbour', 65, 54])
    const at = (x: number, y: number) => [
      ...merged.image.data.subarray((y * 65 + x) * 4, (y * 65 + x) * 4 + 4),
    ]
    expect(at(0, 0)).toEqual([200, 0, 0, 255])
    expect(at(64, 53)).toEqual([0, 0, 200, 255])
    expect(at(30, 30)).toEqual([0, 0, 0, 0])
    editor.setLayerVisible(blue.id, false)
    expect(editor.imageToCopy(true)!.image.width).toBe(20)
    // A layer past the canvas's edge is copied as far as the canvas goes.
    editor.addImageLayer(solidImage(30, 30, [0, 90, 0, 255]), 'Edge', { x: 85, y: -10 })
    expect(editor.imageToCopy(false)!.image).toMatchObject({ width: 15, height: 20 })
  })
})

describe('layer cap', () => {
  it('holds at most 256 layers, the most a project file may carry', () => {
    const editor = Editor.blank(8, 8)
    for (let i = 1; i < 256; i++) editor.addLayer()
    expect(editor.layerRoom).toBe(0)
    expect(() => editor.addLayer()).toThrow(RangeError)
    expect(editor.layers).toHaveLength(256)
  })
})
