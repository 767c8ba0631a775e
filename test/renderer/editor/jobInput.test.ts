import { describe, expect, it } from 'vitest'
import { zJobInput } from '../../../contract/jobs'
import type { GenerationSettings } from '../../../renderer/src/editor/generation'
import { jobInputFor } from '../../../renderer/src/editor/jobInput'
import { testEditor } from './helpers'

const settings: GenerationSettings = {
  prompt: 'a lighthouse',
  batchSize: 2,
  guidanceScale: 5,
  baseRespacing: '100',
  upsampleRespacing: 'fast27',
  upsampleTemperature: 0.997,
  seed: 99,
  model: '',
}

describe('jobInputFor', () => {
  it('sends the frame at model size with the keep mask as bytes (255 = keep), valid for the queue', () => {
    const editor = testEditor(512, 512)
    editor.fillMaskRect({ x: 200, y: 200, width: 100, height: 100 })
    const request = editor.captureGeneration(settings)
    const input = jobInputFor(request)
    expect(zJobInput.safeParse(input).success).toBe(true)
    if (input.kind !== 'inpaint') throw new Error('expected an inpaint job')
    expect([input.image.width, input.image.height]).toEqual([256, 256])
    const keep = input.keepMask
    expect(keep).toHaveLength(256 * 256)
    expect(keep[0]).toBe(255)
    expect(keep[128 * 256 + 128]).toBe(0)
    expect(input.image.rgba).toEqual(new Uint8Array(request.image.data))
    expect(input.settings).not.toHaveProperty('modelId')
  })

  it('turns text to image into a generate job with the chosen model', () => {
    const editor = testEditor(300, 300)
    const input = jobInputFor(editor.captureGeneration({ ...settings, model: 'my-base' }))
    expect(input).toEqual({
      kind: 'generate',
      settings: expect.objectContaining({
        prompt: 'a lighthouse',
        seed: 99,
        batchSize: 2,
        modelId: 'my-base',
      }),
    })
  })

  it('sends a refine job with its strength, and a keep mask only when something is painted', () => {
    const editor = testEditor(300, 300)
    const whole = jobInputFor(editor.captureGeneration({ ...settings, refineStrength: 0.3 }))
    expect(zJobInput.safeParse(whole).success).toBe(true)
    expect(whole).toMatchObject({ kind: 'refine', strength: 0.3 })
    expect(whole).not.toHaveProperty('keepMask')
    editor.fillMaskRect({ x: 100, y: 100, width: 50, height: 50 })
    const masked = jobInputFor(editor.captureGeneration({ ...settings, refineStrength: 0.3 }))
    expect(masked.kind === 'refine' && masked.keepMask?.includes(0)).toBe(true)
  })

  it('carries the speed settings to the job only when they are set (Quality adds no field)', () => {
    const editor = testEditor(300, 300)
    const quality = jobInputFor(editor.captureGeneration(settings))
    for (const field of [
      'baseSampler',
      'upsampleSampler',
      'guidanceCutoff',
      'guidanceReuseBelow',
      'upsampleStart',
    ]) {
      expect(quality.settings).not.toHaveProperty(field)
    }
    const fast = jobInputFor(
      editor.captureGeneration({
        ...settings,
        baseSampler: 'dpm++2m',
        guidanceCutoff: 0.3,
        guidanceReuseBelow: 0.7,
        upsampleSampler: 'ddim',
        upsampleStart: 0.5,
      }),
    )
    expect(zJobInput.safeParse(fast).success).toBe(true)
    expect(fast.settings).toMatchObject({
      baseSampler: 'dpm++2m',
      guidanceCutoff: 0.3,
      guidanceReuseBelow: 0.7,
      upsampleSampler: 'ddim',
      upsampleStart: 0.5,
    })
  })
})
