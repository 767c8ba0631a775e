import { describe, expect, it } from 'vitest'

import {
  applyPreset,
  baseRowsPerImage,
  generationDefaults,
  generationPresets,
  presetOf,
  presetSettings,
  stagePrecision,
  zSamplingSettings,
  type SamplingSettings,
} from '../../contract/generation'

const notebookSettings: SamplingSettings = {
  prompt: 'a red circle',
  seed: 1,
  ...generationDefaults.sampling,
  guidanceScale: 3,
}

describe('generation presets', () => {
  it('recognises the notebook defaults as Quality, and Quality adds no field', () => {
    expect(presetOf(notebookSettings, 2)).toBe('quality')
    expect(applyPreset(notebookSettings, 'quality', 2)).toEqual(notebookSettings)
  })

  it('Fast sets every field it decides, and the result passes the one schema', () => {
    const fast = applyPreset(notebookSettings, 'fast', 2)
    expect(presetOf(fast, 2)).toBe('fast')
    expect(fast.baseSampler).toBe(generationPresets.fast.settings.baseSampler)
    expect(zSamplingSettings.safeParse(fast).success).toBe(true)
  })

  it('going back from Fast to Quality removes the Fast-only fields', () => {
    const back = applyPreset(applyPreset(notebookSettings, 'fast', 2), 'quality', 2)
    expect(back).toEqual(notebookSettings)
    expect('guidanceCutoff' in back).toBe(false)
    expect('guidanceReuseBelow' in back).toBe(false)
  })

  it('a changed field makes the combination custom', () => {
    expect(
      presetOf({ ...applyPreset(notebookSettings, 'fast', 2), baseRespacing: '30' }, 2),
    ).toBeNull()
    expect(presetOf({ ...notebookSettings, baseSampler: 'ddim' }, 2)).toBeNull()
  })

  it('Fast sets its CLIP base steps for a CLIP-guided job, and is recognised by them', () => {
    const oneRowSettings = generationPresets.fast.oneRowSettings
    expect(oneRowSettings?.baseRespacing).toBeDefined()
    expect(oneRowSettings?.baseRespacing).not.toBe(generationPresets.fast.settings.baseRespacing)
    const clipJob: SamplingSettings = { ...notebookSettings, guidanceMode: 'clip' }
    const fast = applyPreset(clipJob, 'fast', 1)
    expect(fast).toEqual({ ...applyPreset(clipJob, 'fast', 2), ...oneRowSettings })
    expect(zSamplingSettings.safeParse(fast).success).toBe(true)
    expect(presetOf(fast, 1)).toBe('fast')
    // The same settings under classifier-free guidance are a custom combination, and back.
    expect(presetOf(fast, 2)).toBeNull()
    expect(presetOf(applyPreset(clipJob, 'fast', 2), 1)).toBeNull()
    // Quality is the notebooks' in both modes.
    expect(presetSettings('quality', 1)).toEqual(presetSettings('quality', 2))
    expect(presetOf(notebookSettings, 1)).toBe('quality')
  })

  it('counts one base row per image under CLIP and at guidance 1, two otherwise', () => {
    expect(baseRowsPerImage({ guidanceScale: 3 })).toBe(2)
    expect(baseRowsPerImage({ guidanceMode: 'classifier-free', guidanceScale: 1 })).toBe(1)
    expect(baseRowsPerImage({ guidanceScale: 0.5 })).toBe(2)
    expect(baseRowsPerImage({ guidanceMode: 'clip', guidanceScale: 3 })).toBe(1)
    const atOne = applyPreset({ ...notebookSettings, guidanceScale: 1 }, 'fast', 1)
    expect(atOne.baseRespacing).toBe(generationPresets.fast.oneRowSettings?.baseRespacing)
    expect(presetOf(atOne, baseRowsPerImage(atOne))).toBe('fast')
  })

  it('refuses out-of-range interval and start values with readable messages', () => {
    const cutoff = zSamplingSettings.safeParse({ ...notebookSettings, guidanceCutoff: 1.5 })
    expect(cutoff.error?.issues[0]?.message).toBe('Guidance cutoff must be between 0 and 1')
    const reuse = zSamplingSettings.safeParse({ ...notebookSettings, guidanceReuseBelow: 'x' })
    expect(reuse.error?.issues[0]?.message).toBe('Guidance reuse must be a number')
    const start = zSamplingSettings.safeParse({ ...notebookSettings, upsampleStart: 0 })
    expect(start.error?.issues[0]?.message).toBe('Upsampler start must be between 0.05 and 1')
    const sampler = zSamplingSettings.safeParse({ ...notebookSettings, baseSampler: 'euler' })
    expect(sampler.error?.issues[0]?.message).toMatch(/^Sampler must be one of ancestral, ddim/)
  })
})

describe('stagePrecision', () => {
  it('runs 8 bits only where the setting says, and float32 when it is absent', () => {
    const table = (['float32', 'int8-upsampler', 'int8', undefined] as const).map((precision) =>
      (['base', 'upsample'] as const).map((stage) => stagePrecision(precision, stage)).join(' '),
    )
    expect(table).toEqual(['float32 float32', 'float32 int8', 'int8 int8', 'float32 float32'])
  })
})
