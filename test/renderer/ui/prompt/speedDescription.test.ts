import { describe, expect, it } from 'vitest'
import { generationPresets, respacingStepCount } from '../../../../contract/generation'
import {
  describePreset,
  describeSpeed,
  samplerLabels,
} from '../../../../renderer/src/ui/prompt/speedDescription'

describe('speed settings in words', () => {
  it("name Quality as GLIDE's notebook with its samplers and steps", () => {
    expect(describePreset('quality', 'text-to-image')).toBe(
      "GLIDE's notebook: Ancestral, 100 base steps, guidance at every step; upsampler DDIM, 27 steps (fast27)",
    )
    // The notebooks' upsampler sampler depends on the mode: ancestral to inpaint.
    expect(describePreset('quality', 'inpaint')).toContain('upsampler Ancestral, 27 steps')
    expect(describePreset('quality', 'text-to-image', { upsampling: false })).toBe(
      "GLIDE's notebook: Ancestral, 100 base steps, guidance at every step; no upsampler",
    )
  })

  it("say what Fast sets, from the contract's preset", () => {
    const fast = generationPresets.fast.settings
    const words = describePreset('fast', 'text-to-image')
    expect(words).toContain(`${respacingStepCount(fast.baseRespacing)} base steps`)
    if (fast.baseSampler) expect(words.startsWith(samplerLabels[fast.baseSampler])).toBe(true)
    if (fast.guidanceCutoff) expect(words).toContain(`guidance above t = ${fast.guidanceCutoff} T`)
    if (fast.guidanceReuseBelow) {
      expect(words).toContain(
        `unconditional rows every other step below ${fast.guidanceReuseBelow} T`,
      )
    }
    if (fast.upsampleSampler) {
      expect(words).toContain(`upsampler ${samplerLabels[fast.upsampleSampler]}`)
    }
    if (fast.upsampleStart !== null) {
      expect(words).toContain(`from the low-res image at t = ${fast.upsampleStart} T`)
    }
    const precisionWords = {
      int8: '; 8-bit U-Nets on CPU',
      'int8-upsampler': '; 8-bit upsampler on CPU',
      float32: '',
    }
    expect(words.endsWith(precisionWords[fast.unetPrecision ?? 'float32'])).toBe(true)
    expect(describePreset('quality', 'text-to-image')).not.toContain('8-bit')
  })

  it('say what Fast sets under CLIP guidance: its CLIP base steps, and no guidance interval', () => {
    const clipSteps = generationPresets.fast.caseSettings?.['one-row']?.baseRespacing ?? ''
    const words = describePreset('fast', 'text-to-image', { guidanceMode: 'clip' })
    expect(words).toContain(`${respacingStepCount(clipSteps)} base steps`)
    expect(words).toContain('CLIP guidance at every step')
    expect(words).not.toContain('guidance above')
    expect(words).not.toBe(describePreset('fast', 'text-to-image'))
    expect(describePreset('quality', 'text-to-image', { guidanceMode: 'clip' })).toBe(
      "GLIDE's notebook: Ancestral, 100 base steps, CLIP guidance at every step; upsampler DDIM, 27 steps (fast27)",
    )
  })

  it('say what Fast sets at guidance 1: its one-row base steps, the caption rows alone', () => {
    const oneRowSteps = generationPresets.fast.caseSettings?.['one-row']?.baseRespacing ?? ''
    const words = describePreset('fast', 'text-to-image', { guidanceScale: 1 })
    expect(words).toContain(`${respacingStepCount(oneRowSteps)} base steps`)
    expect(words).toContain('guidance 1 (the caption rows alone, no unconditional rows)')
    expect(words).not.toContain('guidance above')
    expect(describePreset('fast', 'text-to-image', { guidanceScale: 2 })).toBe(
      describePreset('fast', 'text-to-image'),
    )
  })

  it('say that CLIP guidance 0 runs the caption rows alone, at the CLIP steps', () => {
    const atZero = describePreset('fast', 'text-to-image', {
      guidanceMode: 'clip',
      clipGuidanceScale: 0,
    })
    expect(atZero).toContain('CLIP guidance 0 (the caption rows alone, nothing steering them)')
    expect(
      atZero.replace('CLIP guidance 0 (the caption rows alone, nothing steering them)', ''),
    ).toBe(
      describePreset('fast', 'text-to-image', { guidanceMode: 'clip' }).replace(
        'CLIP guidance at every step',
        '',
      ),
    )
  })

  it('say what Fast sets above guidance 3: its strong-guidance base steps, guided as usual', () => {
    const strongSteps =
      generationPresets.fast.caseSettings?.['strong-guidance']?.baseRespacing ?? ''
    const words = describePreset('fast', 'text-to-image', { guidanceScale: 5 })
    expect(words).toContain(`${respacingStepCount(strongSteps)} base steps`)
    expect(words).toContain(
      `guidance above t = ${generationPresets.fast.settings.guidanceCutoff} T`,
    )
    expect(words).not.toBe(describePreset('fast', 'text-to-image'))
    expect(describePreset('fast', 'text-to-image', { guidanceScale: 3 })).toBe(
      describePreset('fast', 'text-to-image'),
    )
  })

  it('describe any combination, respacings by their step count', () => {
    expect(
      describeSpeed(
        {
          baseSampler: 'dpm++2m',
          baseRespacing: '20',
          guidanceCutoff: 0.3,
          upsampleSampler: 'ddim',
          upsampleRespacing: '6',
          upsampleStart: 0.5,
        },
        'text-to-image',
      ),
    ).toBe(
      'DPM-Solver++(2M), 20 base steps, guidance above t = 0.3 T; upsampler DDIM, 6 steps from the low-res image at t = 0.5 T',
    )
    expect(describeSpeed({ baseRespacing: '10,10,5', upsampleRespacing: 'ddim12' }, 'refine')).toBe(
      'Ancestral, 25 base steps (10 below t = 0.33 T, 10 from 0.33 to 0.67 T, 5 above), guidance at every step; upsampler Ancestral, 12 steps (ddim12)',
    )
    expect(describeSpeed({ baseRespacing: '3,12', upsampleRespacing: '3' }, 'text-to-image')).toBe(
      'Ancestral, 15 base steps (3 below t = 0.5 T, 12 above), guidance at every step; upsampler DDIM, 3 steps',
    )
    expect(
      describeSpeed({ baseRespacing: '3,17+1', upsampleRespacing: '3' }, 'text-to-image'),
    ).toBe(
      'Ancestral, 21 base steps (3 below t = 0.5 T, 17 above; the noisiest step split in two), guidance at every step; upsampler DDIM, 3 steps',
    )
    expect(
      describeSpeed({ baseRespacing: '3,17+2-500', upsampleRespacing: '3' }, 'text-to-image'),
    ).toBe(
      'Ancestral, 21 base steps (3 below t = 0.5 T, 17 above; the noisiest step split in three; t = 500 left out), guidance at every step; upsampler DDIM, 3 steps',
    )
    expect(describeSpeed({ baseRespacing: '100-0', upsampleRespacing: '3' }, 'text-to-image')).toBe(
      'Ancestral, 99 base steps (t = 0 left out), guidance at every step; upsampler DDIM, 3 steps',
    )
    expect(describeSpeed({ baseRespacing: '20+2', upsampleRespacing: 'fast27+1' }, 'refine')).toBe(
      'Ancestral, 22 base steps (the noisiest step split in three), guidance at every step; upsampler Ancestral, 28 steps (fast27; the noisiest step split in two)',
    )
    expect(
      describeSpeed(
        { baseRespacing: '20', upsampleRespacing: '3', unetPrecision: 'int8' },
        'text-to-image',
        { upsampling: false },
      ),
    ).toBe('Ancestral, 20 base steps, guidance at every step; no upsampler; 8-bit U-Nets on CPU')
    // Without an upsampler, an 8-bit upsampler changes nothing and is not mentioned.
    expect(
      describeSpeed(
        { baseRespacing: '20', upsampleRespacing: '3', unetPrecision: 'int8-upsampler' },
        'text-to-image',
        { upsampling: false },
      ),
    ).toBe('Ancestral, 20 base steps, guidance at every step; no upsampler')
    expect(
      describeSpeed(
        {
          baseRespacing: '20',
          upsampleRespacing: '3',
          guidanceCutoff: 0.35,
          guidanceReuseBelow: 0.8,
        },
        'text-to-image',
        { upsampling: false },
      ),
    ).toBe(
      'Ancestral, 20 base steps, guidance above t = 0.35 T (unconditional rows every other step below 0.8 T); no upsampler',
    )
    // A reuse window at or below the cutoff reuses nothing, so it is not mentioned.
    expect(
      describeSpeed(
        {
          baseRespacing: '20',
          upsampleRespacing: '3',
          guidanceCutoff: 0.5,
          guidanceReuseBelow: 0.4,
        },
        'text-to-image',
        { upsampling: false },
      ),
    ).toBe('Ancestral, 20 base steps, guidance above t = 0.5 T; no upsampler')
    // A respacing the contract refuses is shown as typed (Generate names the problem).
    expect(describeSpeed({ baseRespacing: 'abc', upsampleRespacing: '6' }, 'inpaint')).toContain(
      'base steps "abc"',
    )
  })
})
