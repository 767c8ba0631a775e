import { describe, expect, it } from 'vitest'

import {
  applyPreset,
  baseRowsPerImage,
  generationDefaults,
  generationPresets,
  presetCaseOf,
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
    expect(presetOf(notebookSettings, 'guided')).toBe('quality')
    expect(applyPreset(notebookSettings, 'quality', 'guided')).toEqual(notebookSettings)
  })

  it('Fast sets every field it decides, and the result passes the one schema', () => {
    const fast = applyPreset(notebookSettings, 'fast', 'guided')
    expect(presetOf(fast, 'guided')).toBe('fast')
    expect(fast.baseSampler).toBe(generationPresets.fast.settings.baseSampler)
    expect(zSamplingSettings.safeParse(fast).success).toBe(true)
  })

  it('going back from Fast to Quality removes the Fast-only fields', () => {
    const back = applyPreset(applyPreset(notebookSettings, 'fast', 'guided'), 'quality', 'guided')
    expect(back).toEqual(notebookSettings)
    expect('guidanceCutoff' in back).toBe(false)
    expect('guidanceReuseBelow' in back).toBe(false)
  })

  it('a changed field makes the combination custom', () => {
    expect(
      presetOf(
        { ...applyPreset(notebookSettings, 'fast', 'guided'), baseRespacing: '30' },
        'guided',
      ),
    ).toBeNull()
    expect(presetOf({ ...notebookSettings, baseSampler: 'ddim' }, 'guided')).toBeNull()
  })

  it('Fast sets its CLIP base steps for a CLIP-guided job, and is recognised by them', () => {
    const oneRowSettings = generationPresets.fast.caseSettings?.['one-row']
    expect(oneRowSettings?.baseRespacing).toBeDefined()
    expect(oneRowSettings?.baseRespacing).not.toBe(generationPresets.fast.settings.baseRespacing)
    const clipJob: SamplingSettings = { ...notebookSettings, guidanceMode: 'clip' }
    const fast = applyPreset(clipJob, 'fast', 'one-row')
    expect(fast).toEqual({ ...applyPreset(clipJob, 'fast', 'guided'), ...oneRowSettings })
    expect(zSamplingSettings.safeParse(fast).success).toBe(true)
    expect(presetOf(fast, 'one-row')).toBe('fast')
    // The same settings under classifier-free guidance are a custom combination, and back.
    expect(presetOf(fast, 'guided')).toBeNull()
    expect(presetOf(applyPreset(clipJob, 'fast', 'guided'), 'one-row')).toBeNull()
    // Quality is the notebooks' in every case.
    for (const presetCase of ['one-row', 'strong-guidance'] as const) {
      expect(presetSettings('quality', presetCase)).toEqual(presetSettings('quality', 'guided'))
      expect(presetOf(notebookSettings, presetCase)).toBe('quality')
    }
  })

  it("Fast takes more base steps above 0.5 T where guidance is above its mode's default", () => {
    const strong = generationPresets.fast.caseSettings?.['strong-guidance']
    expect(strong?.baseRespacing).toBe('3,21+2-500')
    const atFiveJob: SamplingSettings = { ...notebookSettings, guidanceScale: 5 }
    const atFive = applyPreset(atFiveJob, 'fast', 'strong-guidance')
    expect(atFive).toEqual({ ...applyPreset(atFiveJob, 'fast', 'guided'), ...strong })
    expect(zSamplingSettings.safeParse(atFive).success).toBe(true)
    expect(presetOf(atFive, 'strong-guidance')).toBe('fast')
    expect(presetOf(atFive, 'guided')).toBeNull()
    // Only the base steps differ: the rest of Fast is the same in every case.
    const sameSteps = { baseRespacing: 'any' }
    expect({ ...presetSettings('fast', 'strong-guidance'), ...sameSteps }).toEqual({
      ...presetSettings('fast', 'guided'),
      ...sameSteps,
    })
  })

  it('counts one base row per image under CLIP and at guidance 1, two otherwise', () => {
    expect(baseRowsPerImage({ guidanceScale: 3 })).toBe(2)
    expect(baseRowsPerImage({ guidanceMode: 'classifier-free', guidanceScale: 1 })).toBe(1)
    expect(baseRowsPerImage({ guidanceScale: 0.5 })).toBe(2)
    expect(baseRowsPerImage({ guidanceMode: 'clip', guidanceScale: 3 })).toBe(1)
    const atOne = applyPreset({ ...notebookSettings, guidanceScale: 1 }, 'fast', 'one-row')
    expect(atOne.baseRespacing).toBe(
      generationPresets.fast.caseSettings?.['one-row']?.baseRespacing,
    )
    expect(presetOf(atOne, presetCaseOf(atOne))).toBe('fast')
  })

  it("picks a job's preset case from its guidance and mode", () => {
    expect(presetCaseOf({ guidanceScale: 3 })).toBe('guided')
    expect(presetCaseOf({ guidanceScale: 3.5 })).toBe('strong-guidance')
    expect(presetCaseOf({ guidanceScale: 5, mode: 'text-to-image' })).toBe('strong-guidance')
    // Inpainting's default is 5: its guided case reaches up to it.
    expect(presetCaseOf({ guidanceScale: 5, mode: 'inpaint' })).toBe('guided')
    expect(presetCaseOf({ guidanceScale: 6, mode: 'inpaint' })).toBe('strong-guidance')
    expect(presetCaseOf({ guidanceScale: 0.5 })).toBe('guided')
    expect(presetCaseOf({ guidanceScale: 1, mode: 'inpaint' })).toBe('one-row')
    // CLIP guidance runs one row whatever its classifier-free scale says.
    expect(presetCaseOf({ guidanceMode: 'clip', guidanceScale: 5 })).toBe('one-row')
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
