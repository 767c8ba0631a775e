import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { zGenerationInfo } from '../../../contract/documents'
import { Editor } from '../../../renderer/src/editor/Editor'
import { compositeRect } from '../../../renderer/src/editor/compositing'
import type { RgbaImage } from '../../../renderer/src/editor/EditorDocument'
import type { GenerationSettings } from '../../../renderer/src/editor/generation'
import { resampleRgba, resultLayerPixels } from '../../../renderer/src/editor/generation'
import { drag, patternImage, solidImage, testEditor } from './helpers'

const settings: GenerationSettings = {
  prompt: 'a red boat',
  batchSize: 3,
  guidanceScale: 5,
  baseRespacing: '100',
  upsampleRespacing: 'fast27',
  upsampleTemperature: 0.997,
  seed: 42,
  model: 'glide-filtered',
}

/** A stand-in for the pipeline: one flat colour per batch item at the upsampler's 256². */
function fakeInpaint(count: number): RgbaImage[] {
  return Array.from({ length: count }, (_, i) => solidImage(256, 256, [200, 40 * i, 10, 255]))
}

describe('capturing a request (keep mask: 255 = keep)', () => {
  it('inpaints when a mask is painted, at the model size with the frame composite', () => {
    const editor = testEditor(600, 600)
    editor.fillMaskRect({ x: 250, y: 250, width: 100, height: 100 })
    const request = editor.captureGeneration(settings)
    expect(request.kind).toBe('inpaint')
    expect(request.frame.width).toBe(request.frame.height)
    expect(request.image.width).toBe(256)
    const keep = request.keepMask ?? new Uint8Array(0)
    expect(keep).toHaveLength(256 * 256)
    expect(keep[128 * 256 + 128]).toBe(0)
    expect(keep[0]).toBe(255)
  })

  it('generates text to image on a blank canvas (nothing known in the frame), not an inpaint', () => {
    const editor = Editor.blank(512, 512)
    const request = editor.captureGeneration(settings)
    expect(request.kind).toBe('generate')
    expect(request.keepMask).toBeNull()
    expect(request.regenerate.every((value) => value === 255)).toBe(true)
    const full = resultLayerPixels(solidImage(256, 256, [10, 200, 30, 255]), request)
    expect(full.every((value, i) => (i % 4 === 3 ? value === 255 : true))).toBe(true)
  })

  it('names the mode the request will have, for the panel (guidance per mode)', () => {
    const blank = Editor.blank(512, 512)
    expect(blank.generationMode(false)).toBe('text-to-image')
    expect(blank.generationMode(true)).toBe('refine')
    const picture = testEditor(300, 300)
    expect(picture.generationMode(false)).toBe('text-to-image')
    picture.fillMaskRect({ x: 100, y: 100, width: 50, height: 50 })
    expect(picture.generationMode(false)).toBe('inpaint')
    expect(picture.captureGeneration(settings).kind).toBe('inpaint')
  })

  it('generates when the mask covers the whole frame, inpaints when any frame pixel is kept', () => {
    const editor = testEditor(300, 300)
    editor.setFrame({ x: 0, y: 0, width: 300, height: 300 })
    editor.fillMaskRect({ x: 0, y: 0, width: 300, height: 300 })
    expect(editor.captureGeneration(settings).kind).toBe('generate')
    const partly = testEditor(300, 300)
    partly.setFrame({ x: 0, y: 0, width: 300, height: 300 })
    partly.fillMaskRect({ x: 0, y: 0, width: 300, height: 299 })
    expect(partly.captureGeneration(settings).kind).toBe('inpaint')
  })

  it('refines when asked with a strength, the whole frame when nothing is painted', () => {
    const editor = testEditor(600, 600)
    const request = editor.captureGeneration({ ...settings, refineStrength: 0.4 })
    expect(request.kind).toBe('refine')
    expect(request.keepMask).toBeNull()
    expect(request.regenerate.every((value) => value === 255)).toBe(true)
  })
})

describe('what the models see (issue 15: no black "known" pixels, no soft mask values)', () => {
  it('outpaints where the frame reaches past the picture: transparent is "to generate", not black', () => {
    const editor = testEditor(256, 256)
    editor.setFrame({ x: 128, y: 0, width: 256, height: 256 })
    const request = editor.captureGeneration(settings)
    expect(request.kind).toBe('inpaint')
    const keep = request.keepMask ?? new Uint8Array(0)
    expect(keep[128 * 256 + 200]).toBe(0)
    expect(keep[128 * 256 + 40]).toBe(255)
    for (let x = 128; x < 256; x++) {
      const pixel = request.image.data.subarray((128 * 256 + x) * 4, (128 * 256 + x) * 4 + 4)
      expect(pixel[3]).toBe(255)
      expect(Math.max(pixel[0] ?? 0, pixel[1] ?? 0, pixel[2] ?? 0)).toBeGreaterThan(40)
    }
  })

  it('sends a hard keep mask for a soft brush, regenerating everything the brush touched', () => {
    const editor = testEditor(400, 400)
    editor.setBrushSize(80)
    editor.setBrushHardness(0)
    drag(editor, [
      [200, 200],
      [220, 210],
    ])
    const request = editor.captureGeneration(settings)
    const keep = request.keepMask ?? new Uint8Array(0)
    expect(new Set(keep)).toEqual(new Set([0, 255]))
    const { frame } = request
    const painted = editor.document.mask.readRect(frame)
    for (let y = 0; y < frame.height; y++) {
      for (let x = 0; x < frame.width; x++) {
        if ((painted[y * frame.width + x] ?? 0) === 0) continue
        const mx = Math.floor((x * 256) / frame.width)
        const my = Math.floor((y * 256) / frame.height)
        expect(keep[my * 256 + mx]).toBe(0)
      }
    }
  })
})

describe('copying a staged result', () => {
  it('copies the fill on view, trimmed to the mask, named as its layer would be; then the layer', () => {
    const editor = testEditor(600, 600)
    editor.fillMaskRect({ x: 250, y: 250, width: 100, height: 60 })
    editor.stageResults(editor.captureGeneration(settings), fakeInpaint(3))
    editor.browseStaged(1)
    const staged = editor.imageToCopy(false)!
    expect(staged.name).toBe('a red boat (42 #2)')
    // The fill covers the mask (feathered inwards), nothing around it.
    expect(staged.image.width).toBeLessThanOrEqual(100)
    expect(staged.image.width).toBeGreaterThan(90)
    expect(staged.image.height).toBeLessThanOrEqual(60)
    const middle = ((staged.image.height >> 1) * staged.image.width + (staged.image.width >> 1)) * 4
    expect([...staged.image.data.subarray(middle, middle + 4)]).toEqual([200, 40, 10, 255])
    expect(editor.acceptStaged()).toBe(true)
    const accepted = editor.imageToCopy(false)!
    expect(accepted.name).toBe(staged.name)
    expect(accepted.image).toEqual(staged.image)
  })
})

describe('choosing a staged result by its thumbnail', () => {
  it('shows the candidate asked for, leaves the batch alone for one that does not exist', () => {
    const editor = testEditor(600, 600)
    expect(editor.showStaged(0)).toBe(false)
    editor.fillMaskRect({ x: 250, y: 250, width: 100, height: 60 })
    editor.stageResults(editor.captureGeneration(settings), fakeInpaint(3))
    const revision = editor.revision
    editor.toggleStagedOriginal()
    expect(editor.showStaged(2)).toBe(true)
    expect(editor.stagedBatch!.index).toBe(2)
    expect(editor.stagedOriginalShown).toBe(false)
    expect(editor.imageToCopy(false)!.name).toBe('a red boat (42 #3)')
    for (const index of [3, -1, 1.5]) expect(editor.showStaged(index)).toBe(false)
    expect(editor.stagedBatch!.index).toBe(2)
    // Choosing is not an edit: no undo step, no unsaved change.
    expect(editor.revision).toBe(revision)
    // The number keys do the same: 1 shows the first, 9 is no result of three.
    expect(editor.keyDown({ key: '1' })).toBe(true)
    expect(editor.stagedBatch!.index).toBe(0)
    expect(editor.keyDown({ key: '9' })).toBe(false)
    expect(editor.keyDown({ key: '3' })).toBe(true)
    expect(editor.stagedBatch!.index).toBe(2)
    expect(editor.actions.get('results.show-number').shortcut).toBe('1–8')
    expect(editor.acceptStaged()).toBe(true)
    expect(editor.document.layers.at(-1)!.name).toBe('a red boat (42 #3)')
    // One result: nothing to choose, and the keys stay free.
    editor.stageResults(editor.captureGeneration(settings), fakeInpaint(1))
    expect(editor.keyDown({ key: '1' })).toBe(false)
  })
})

describe('comparing a staged result with the original', () => {
  it('\\ hides the result on view and shows it again; browsing, accepting or undoing shows it', () => {
    const editor = testEditor(600, 600)
    expect(editor.keyDown({ key: '\\' })).toBe(false)
    editor.fillMaskRect({ x: 250, y: 250, width: 100, height: 60 })
    editor.stageResults(editor.captureGeneration(settings), fakeInpaint(3))
    expect(editor.stagedOriginalShown).toBe(false)
    const revision = editor.revision
    const undoLabel = editor.history.nextUndoLabel
    expect(editor.keyDown({ key: '\\' })).toBe(true)
    expect(editor.stagedOriginalShown).toBe(true)
    expect(editor.actions.get('results.compare').checked()).toBe(true)
    // Nothing in the document changed: no undo step, no unsaved change.
    expect([editor.revision, editor.history.nextUndoLabel]).toEqual([revision, undoLabel])
    expect(editor.keyDown({ key: '\\' })).toBe(true)
    expect(editor.stagedOriginalShown).toBe(false)
    editor.toggleStagedOriginal()
    editor.browseStaged(1)
    expect(editor.stagedOriginalShown).toBe(false)
    editor.toggleStagedOriginal()
    editor.acceptStaged()
    expect(editor.stagedOriginalShown).toBe(false)
    editor.undo()
    expect(editor.stagedBatch).toBeDefined()
    expect(editor.stagedOriginalShown).toBe(false)
  })
})

describe('compositing a result inside the mask', () => {
  it('never changes a pixel outside the mask and leaves alpha 0 there', () => {
    const editor = testEditor(700, 500)
    editor.setBrushSize(60)
    drag(editor, [
      [300, 200],
      [420, 260],
      [380, 330],
    ])
    const before = compositeRect(editor.layers, editor.document, editor.document.bounds).data
    const maskBefore = editor.document.mask.readRect(editor.document.bounds)
    const request = editor.captureGeneration(settings)
    editor.stageResults(request, fakeInpaint(3))
    expect(editor.acceptStaged()).toBe(true)
    const layer = editor.layers.at(-1)!
    const after = compositeRect(editor.layers, editor.document, editor.document.bounds).data
    const layerPixels = layer.raster.readRect(editor.document.bounds)
    let changedInside = 0
    let changedOutside = 0
    let opaqueOutside = 0
    for (let i = 0; i < maskBefore.length; i++) {
      const changed = [0, 1, 2, 3].some((c) => after[i * 4 + c] !== before[i * 4 + c])
      if (maskBefore[i] === 0) {
        if (changed) changedOutside += 1
        if (layerPixels[i * 4 + 3] !== 0) opaqueOutside += 1
      } else if (changed) {
        changedInside += 1
      }
    }
    expect(changedOutside).toBe(0)
    expect(opaqueOutside).toBe(0)
    expect(changedInside).toBeGreaterThan(10_000)
    expect(layer.name).toBe('a red boat (42 #1)')
    expect(layer.generation).toMatchObject({
      prompt: 'a red boat',
      seed: 42,
      guidanceScale: 5,
      batchIndex: 0,
    })
    expect(layer.generation?.frame).toEqual(request.frame)
  })

  it('resizes the 256² result back to the frame', () => {
    const editor = testEditor(512, 512)
    editor.setFrame({ x: 0, y: 0, width: 512, height: 512 })
    const request = editor.captureGeneration(settings)
    const pixels = resultLayerPixels(patternImage(256, 256), request)
    expect(pixels).toHaveLength(512 * 512 * 4)
    const down = resampleRgba(solidImage(512, 512, [10, 20, 30, 255]), 256, 256)
    expect(Array.from(down.data.subarray(0, 4))).toEqual([10, 20, 30, 255])
  })

  it('text to image fills the whole frame', () => {
    const editor = testEditor(800, 800)
    editor.setFrame({ x: 100, y: 100, width: 300, height: 300 })
    const request = editor.captureGeneration(settings)
    expect(request.kind).toBe('generate')
    expect(request.keepMask).toBeNull()
    editor.stageResults(request, fakeInpaint(1))
    editor.acceptStaged()
    expect(editor.layers.at(-1)!.raster.contentBounds()).toEqual({
      x: 100,
      y: 100,
      width: 300,
      height: 300,
    })
    expect(editor.layers.at(-1)!.generation?.kind).toBe('text-to-image')
  })

  it('records the speed settings a job set on its layer, and none for a notebook job', () => {
    const editor = testEditor(300, 300)
    const speed = {
      baseSampler: 'dpm++2m',
      guidanceCutoff: 0.3,
      guidanceReuseBelow: 0.7,
      upsampleSampler: 'ddim',
      upsampleStart: 0.5,
    } as const
    editor.stageResults(editor.captureGeneration({ ...settings, ...speed }), fakeInpaint(1))
    editor.acceptStaged()
    const fast = editor.layers.at(-1)!.generation
    expect(zGenerationInfo.safeParse(fast).success).toBe(true)
    expect(fast).toMatchObject(speed)
    editor.stageResults(editor.captureGeneration(settings), fakeInpaint(1))
    editor.acceptStaged()
    const quality = editor.layers.at(-1)!.generation!
    for (const field of Object.keys(speed)) expect(quality).not.toHaveProperty(field)
    expect(quality).not.toHaveProperty('guidanceMode')
  })

  it('records the models the job ran on every layer accepted from it', () => {
    const editor = testEditor(300, 300)
    const ran = ['glide-base', 'glide-upsample']
    editor.stageResults(editor.captureGeneration(settings), fakeInpaint(2), ran)
    editor.acceptAllStaged()
    for (const layer of editor.layers.slice(-2)) {
      expect(layer.generation?.modelIds).toEqual(ran)
      expect(zGenerationInfo.safeParse(layer.generation).success).toBe(true)
    }
    // A job that reported none (or a record from before) keeps no list.
    editor.stageResults(editor.captureGeneration(settings), fakeInpaint(1))
    editor.acceptStaged()
    expect(editor.layers.at(-1)!.generation).not.toHaveProperty('modelIds')
  })

  it('records CLIP guidance and its scale on the layer of a CLIP-guided job', () => {
    const editor = testEditor(300, 300)
    const clip = { guidanceMode: 'clip', clipGuidanceScale: 4 } as const
    editor.stageResults(editor.captureGeneration({ ...settings, ...clip }), fakeInpaint(1))
    editor.acceptStaged()
    const info = editor.layers.at(-1)!.generation
    expect(zGenerationInfo.safeParse(info).success).toBe(true)
    expect(info).toMatchObject(clip)
  })
})

describe('staging', () => {
  function stagedEditor() {
    const editor = testEditor(400, 400)
    editor.fillMaskRect({ x: 100, y: 100, width: 50, height: 50 })
    const request = editor.captureGeneration(settings)
    editor.stageResults(request, fakeInpaint(3))
    return { editor, request }
  }

  it('browses with ← → and accepts the shown candidate with Enter', () => {
    const { editor } = stagedEditor()
    expect(editor.stagedBatch?.candidates).toHaveLength(3)
    editor.keyDown({ key: 'ArrowRight' })
    editor.keyDown({ key: 'ArrowRight' })
    editor.keyDown({ key: 'ArrowRight' })
    editor.keyDown({ key: 'ArrowLeft' })
    expect(editor.stagedBatch?.index).toBe(2)
    expect(editor.keyDown({ key: 'Enter' })).toBe(true)
    expect(editor.stagedBatch).toBeUndefined()
    const layer = editor.layers.at(-1)!
    expect(layer.generation?.batchIndex).toBe(2)
    expect(layer.raster.getPixel(125, 125)).toEqual([200, 80, 10, 255])
  })

  it('undoing an accept removes the layer and shows the batch again', () => {
    const { editor } = stagedEditor()
    const count = editor.layers.length
    editor.acceptStaged()
    expect(editor.layers).toHaveLength(count + 1)
    editor.undo()
    expect(editor.layers).toHaveLength(count)
    expect(editor.stagedBatch?.candidates).toHaveLength(3)
    editor.redo()
    expect(editor.layers).toHaveLength(count + 1)
    expect(editor.stagedBatch).toBeUndefined()
  })

  it('accept all keeps the shown candidate in view, on top and active, the others hidden', () => {
    const { editor } = stagedEditor()
    editor.browseStaged(1)
    editor.acceptAllStaged()
    const added = editor.layers.slice(-3)
    expect(added.map((layer) => layer.generation?.batchIndex)).toEqual([0, 2, 1])
    expect(added.map((layer) => layer.visible)).toEqual([false, false, true])
    expect(editor.activeLayer?.id).toBe(added[2]!.id)
    // Each variation's name says which it is; a batch of one keeps "prompt (seed)".
    const { prompt, seed } = added[0]!.generation!
    expect(added.map((layer) => layer.name)).toEqual(
      [1, 3, 2].map((variation) => `${prompt} (${seed} #${variation})`),
    )
  })

  it('Match colours places the staged results again with Colour match, without a new job', () => {
    const editor = testEditor(400, 400)
    editor.fillMaskRect({ x: 100, y: 100, width: 80, height: 80 })
    const request = editor.captureGeneration(settings)
    // A fill 30 levels brighter than the picture everywhere: a patch.
    const brighter = request.composite.data.map((value, i) => (i % 4 === 3 ? 255 : value + 30))
    const fill: RgbaImage = { width: 256, height: 256, data: new Uint8ClampedArray(256 * 256 * 4) }
    for (let y = 0; y < 256; y++) {
      for (let x = 0; x < 256; x++) {
        const from =
          (Math.floor((y * request.frame.height) / 256) * request.frame.width +
            Math.floor((x * request.frame.width) / 256)) *
          4
        fill.data.set(brighter.subarray(from, from + 4), (y * 256 + x) * 4)
      }
    }
    editor.stageResults(request, [fill])
    const before = editor.stagedCandidate!
    expect(before.colourMismatch).toBeGreaterThanOrEqual(25)
    expect(editor.matchStagedColours()).toBe(true)
    const after = editor.stagedCandidate!
    expect(after.colourMismatch).toBe(0)
    // Inside the mask the fill came back to the picture's colour (its pattern is the model's).
    const offInMask = (pixels: Uint8ClampedArray) => {
      let sum = 0
      let count = 0
      for (let y = 105; y < 175; y++) {
        for (let x = 105; x < 175; x++) {
          const i = ((y - after.rect.y) * after.rect.width + (x - after.rect.x)) * 4
          const picture = editor.layers[0]!.raster.getPixel(x, y)
          for (let c = 0; c < 3; c++) sum += pixels[i + c]! - picture[c]!
          count += 3
        }
      }
      return sum / count
    }
    expect(offInMask(before.pixels)).toBeGreaterThan(25)
    expect(Math.abs(offInMask(after.pixels))).toBeLessThan(3)
    const centre = ((140 - after.rect.y) * after.rect.width + (140 - after.rect.x)) * 4
    expect(editor.matchStagedColours()).toBe(false)
    editor.acceptStaged()
    const layer = editor.layers.at(-1)!
    const accepted = layer.raster.getPixel(140, 140)
    expect([...after.pixels.subarray(centre, centre + 4)]).toEqual(accepted)
  })

  it('Esc discards; undo restores the staged batch; neither leaves unsaved changes', () => {
    const { editor } = stagedEditor()
    editor.markSaved()
    const count = editor.layers.length
    expect(editor.keyDown({ key: 'Escape' })).toBe(true)
    expect(editor.stagedBatch).toBeUndefined()
    expect(editor.layers).toHaveLength(count)
    // The document is as it was: no "unsaved changes" question, no recovery copy next start.
    expect(editor.isDirty).toBe(false)
    editor.undo()
    expect(editor.stagedBatch?.candidates).toHaveLength(3)
    expect(editor.isDirty).toBe(false)
    editor.acceptStaged()
    expect(editor.isDirty).toBe(true)
  })

  it('a queued job keeps the mask and frame it was queued with', () => {
    const editor = testEditor(400, 400)
    editor.fillMaskRect({ x: 100, y: 100, width: 50, height: 50 })
    const request = editor.captureGeneration(settings)
    editor.clearMask()
    editor.fillMaskRect({ x: 300, y: 300, width: 40, height: 40 })
    editor.stageResults(request, fakeInpaint(1))
    editor.acceptStaged()
    const bounds = editor.layers.at(-1)!.raster.contentBounds()!
    expect(bounds.x).toBeGreaterThanOrEqual(100)
    expect(bounds.x + bounds.width).toBeLessThanOrEqual(150)
  })

  it('inpaints an accepted layer again (multi-stage), each layer keeping its settings', () => {
    const { editor } = stagedEditor()
    editor.acceptStaged()
    editor.clearMask()
    editor.fillMaskRect({ x: 110, y: 110, width: 20, height: 20 })
    const second = editor.captureGeneration({ ...settings, prompt: 'a sail', seed: 7 })
    editor.stageResults(second, fakeInpaint(2))
    editor.browseStaged(1)
    editor.acceptStaged()
    const [first, last] = editor.layers.slice(-2)
    expect(first?.name).toBe('a red boat (42 #1)')
    expect(last?.name).toBe('a sail (7 #2)')
    expect(last?.generation?.frame).toEqual(second.frame)
    const composite = compositeRect(editor.layers, editor.document, {
      x: 120,
      y: 120,
      width: 1,
      height: 1,
    })
    expect(Array.from(composite.data)).toEqual([200, 40, 10, 255])
  })
})

describe('composite-inside-mask, for any mask and any result', () => {
  it('leaves every unpainted pixel of the composite exactly as it was', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            x: fc.integer({ min: -20, max: 150 }),
            y: fc.integer({ min: -20, max: 110 }),
            size: fc.integer({ min: 1, max: 40 }),
            hardness: fc.double({ min: 0, max: 1, noNaN: true }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 1, max: 3 }),
        (dabs, shade, count) => {
          const editor = Editor.fromImage(patternImage(160, 120, 200), 'Photo')
          editor.viewport.setSize(160, 120)
          for (const dab of dabs) {
            editor.setBrushSize(dab.size)
            editor.setBrushHardness(dab.hardness)
            drag(editor, [
              [dab.x, dab.y],
              [dab.x + 7, dab.y + 3],
            ])
          }
          const bounds = editor.document.bounds
          const before = compositeRect(editor.layers, editor.document, bounds).data
          const mask = editor.document.mask.readRect(bounds)
          const request = editor.captureGeneration({ ...settings, batchSize: count })
          const results = Array.from({ length: count }, (_, i) =>
            solidImage(256, 256, [shade, 255 - shade, i * 40, 255]),
          )
          editor.stageResults(request, results)
          editor.acceptAllStaged()
          for (const layer of editor.layers) layer.visible = true
          editor.setLayerOpacity(editor.layers[0]!.id, 0.999)
          editor.setLayerOpacity(editor.layers[0]!.id, 1)
          const after = compositeRect(editor.layers, editor.document, bounds).data
          for (let i = 0; i < mask.length; i++) {
            if (mask[i] !== 0) continue
            for (let c = 0; c < 4; c++) if (after[i * 4 + c] !== before[i * 4 + c]) return false
          }
          return true
        },
      ),
      { numRuns: 40, seed: 20261125 },
    )
  })
})
