import { describe, expect, it } from 'vitest'

import {
  applyPreset,
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
    expect(presetOf(notebookSettings, 'classifier-free')).toBe('quality')
    expect(applyPreset(notebookSettings, 'quality', 'classifier-free')).toEqual(notebookSettings)
  })

  it('Fast sets every field it decides, and the result passes the one schema', () => {
    const fast = applyPreset(notebookSettings, 'fast', 'classifier-free')
    expect(presetOf(fast, 'classifier-free')).toBe('fast')
    expect(fast.baseSampler).toBe(generationPresets.fast.settings.baseSampler)
    expect(zSamplingSettings.safeParse(fast).success).toBe(true)
  })

  it('going back from Fast to Quality removes the Fast-only fields', () => {
    const back = applyPreset(
      applyPreset(notebookSettings, 'fast', 'classifier-free'),
      'quality',
      'classifier-free',
    )
    expect(back).toEqual(notebookSettings)
    expect('guidanceCutoff' in back).toBe(false)
    expect('guidanceReuseBelow' in back).toBe(false)
  })

  it('a changed field makes the combination custom', () => {
    expect(
      presetOf(
        { ...applyPreset(notebookSettings, 'fast', 'classifier-free'), baseRespacing: '30' },
        'classifier-free',
      ),
    ).toBeNull()
    expect(presetOf({ ...notebookSettings, baseSampler: 'ddim' }, 'classifier-free')).toBeNull()
  })

  it('Fast sets its CLIP base steps for a CLIP-guided job, and is recognised by them', () => {
    const clipSettings = generationPresets.fast.clipSettings
    expect(clipSettings?.baseRespacing).toBeDefined()
    expect(clipSettings?.baseRespacing).not.toBe(generationPresets.fast.settings.baseRespacing)
    const clipJob: SamplingSettings = { ...notebookSettings, guidanceMode: 'clip' }
    const fast = applyPreset(clipJob, 'fast', 'clip')
    expect(fast).toEqual({ ...applyPreset(clipJob, 'fast', 'classifier-free'), ...clipSettings })
    expect(zSamplingSettings.safeParse(fast).success).toBe(true)
    expect(presetOf(fast, 'clip')).toBe('fast')
    // The same settings under classifier-free guidance are a custom combination, and back.
    expect(presetOf(fast, 'classifier-free')).toBeNull()
    expect(presetOf(applyPreset(clipJob, 'fast', 'classifier-free'), 'clip')).toBeNull()
    // Quality is the notebooks' in both modes.
    expect(presetSettings('quality', 'clip')).toEqual(presetSettings('quality', 'classifier-free'))
    expect(presetOf(notebookSettings, 'clip')).toBe('quality')
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
