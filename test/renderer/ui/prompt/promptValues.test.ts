import { describe, expect, it } from 'vitest'
import {
  generationDefaults,
  generationPresets,
  type GenerationMode,
} from '../../../../contract/generation'
import type { GenerationInfo } from '../../../../contract/documents'
import type { GenerationDefaults } from '../../../../contract/settings'
import {
  checkPromptValues,
  initialPromptValues,
  noUpsampler,
  recalledValues,
  presetOfValues,
  rememberedDefaults,
  shownGuidance,
  withGuidance,
  withPreset,
  withSavedDefaults,
  type PromptValues,
} from '../../../../renderer/src/ui/prompt/promptValues'

const start = (changes: Partial<PromptValues> = {}): PromptValues => ({
  ...initialPromptValues(null, 42),
  prompt: 'a lighthouse',
  ...changes,
})

function refusal(changes: Partial<PromptValues>): string {
  const checked = checkPromptValues(start(changes))
  if (checked.ok) throw new Error('expected a refusal')
  // The refusal names the field that was changed, so the panel can mark and focus it.
  expect(Object.keys(changes)).toContain(checked.field)
  return checked.message
}

describe('prompt panel values', () => {
  it('take the saved defaults, when they arrive late, only where the person changed nothing', () => {
    const shownFirst = initialPromptValues(null, 7)
    const saved: GenerationDefaults = {
      ...generationDefaults.sampling,
      baseRespacing: '50',
      batchSize: 3,
      guidanceScale: 6,
    }
    // Before the saved defaults came: a prompt, a fixed seed, New seed each run off, 2 variations.
    const current: PromptValues = {
      ...shownFirst,
      prompt: 'a red cube',
      seed: '1234',
      newSeedEachRun: false,
      batchSize: '2',
    }
    const merged = withSavedDefaults(current, shownFirst, saved)
    expect(merged).toMatchObject({
      prompt: 'a red cube',
      seed: '1234',
      newSeedEachRun: false,
      batchSize: '2',
      // Untouched fields follow the saved defaults.
      steps: '50',
      guidanceScale: '6',
      guidanceFollowsMode: false,
    })
    // Nothing changed yet: exactly the saved defaults (with the panel's seed).
    expect(withSavedDefaults(shownFirst, shownFirst, saved)).toEqual(initialPromptValues(saved, 7))
  })

  it('start from the contract defaults, or from the saved ones', () => {
    const values = initialPromptValues(null, 7)
    expect(values).toMatchObject({
      guidanceScale: String(generationDefaults.sampling.guidanceScale),
      steps: generationDefaults.sampling.baseRespacing,
      batchSize: String(generationDefaults.sampling.batchSize),
      newSeedEachRun: true,
      seed: '7',
      strength: String(generationDefaults.strength),
      featherPx: '',
      colourMatch: false,
    })
    const saved = { ...generationDefaults.sampling, guidanceScale: 9, baseRespacing: '40' }
    expect(initialPromptValues(saved, 7)).toMatchObject({
      guidanceScale: '9',
      guidanceFollowsMode: false,
      steps: '40',
    })
  })

  it('give guidance per mode (5 to inpaint as inpaint.ipynb, 3 otherwise) until the user sets it', () => {
    const values = start()
    expect(values.guidanceFollowsMode).toBe(true)
    const guidance = (mode: 'text-to-image' | 'inpaint' | 'refine', v = values) => {
      const checked = checkPromptValues(v, mode)
      if (!checked.ok) throw new Error(checked.message)
      return checked.submission.sampling.guidanceScale
    }
    expect(guidance('inpaint')).toBe(5)
    expect(guidance('text-to-image')).toBe(3)
    expect(guidance('refine')).toBe(3)
    expect(shownGuidance(values, 'inpaint')).toBe('5')
    // The user's own value holds in every mode, and is what the next session starts from.
    const own = { ...values, guidanceScale: '7.5', guidanceFollowsMode: false }
    expect(guidance('inpaint', own)).toBe(7.5)
    expect(guidance('text-to-image', own)).toBe(7.5)
    expect(shownGuidance(own, 'inpaint')).toBe('7.5')
    const checked = checkPromptValues(values, 'inpaint')
    if (!checked.ok) throw new Error(checked.message)
    const remembered = rememberedDefaults(checked.submission.sampling, true)
    expect(remembered.guidanceScale).toBe(generationDefaults.sampling.guidanceScale)
    const saved = { ...generationDefaults.sampling, ...remembered }
    expect(initialPromptValues(saved, 1).guidanceFollowsMode).toBe(true)
  })

  it('give the job exactly the checked settings', () => {
    const checked = checkPromptValues(
      start({
        modelId: 'glide-mini-base',
        upsampleModelId: noUpsampler,
        steps: ' 25 ',
        seed: '4294967295',
        batchSize: '3',
        refine: true,
        strength: '0.3',
        featherPx: '6',
        colourMatch: true,
      }),
    )
    expect(checked).toEqual({
      ok: true,
      submission: {
        sampling: {
          prompt: 'a lighthouse',
          modelId: 'glide-mini-base',
          upsampleModelId: null,
          guidanceScale: 3,
          baseRespacing: '25',
          upsampleRespacing: 'fast27',
          upsampleTemperature: 0.997,
          seed: 4294967295,
          batchSize: 3,
        },
        strength: 0.3,
        region: { featherPx: 6, colourMatch: true },
      },
    })
  })

  it('send CLIP guidance only in CLIP mode, and no strength unless refining', () => {
    const clip = checkPromptValues(start({ guidanceMode: 'clip', clipGuidanceScale: '4' }))
    expect(clip.ok && clip.submission.sampling).toMatchObject({
      guidanceMode: 'clip',
      clipGuidanceScale: 4,
    })
    const plain = checkPromptValues(start({ strength: '7' }))
    expect(plain.ok && plain.submission).toMatchObject({ strength: null })
    expect(plain.ok && 'guidanceMode' in plain.submission.sampling).toBe(false)
  })

  it('refuse bad values with the contract message a person can read', () => {
    expect(refusal({ guidanceScale: '60', guidanceFollowsMode: false })).toBe(
      'Guidance must be between 0 and 50',
    )
    expect(refusal({ guidanceScale: '', guidanceFollowsMode: false })).toBe(
      'Guidance must be a number',
    )
    expect(refusal({ steps: '0' })).toMatch(/^Steps must be a whole number from 1 to 1000/)
    expect(refusal({ seed: '-1' })).toBe('Seed must be between 0 and 4294967295')
    expect(refusal({ seed: 'abc' })).toBe('Seed must be a whole number')
    expect(refusal({ batchSize: '9' })).toBe('Variations must be between 1 and 8')
    expect(refusal({ refine: true, strength: '0' })).toBe('Strength must be between 0.01 and 1')
    expect(refusal({ featherPx: '2.5' })).toBe('Feather must be a whole number of pixels')
    expect(refusal({ guidanceMode: 'clip', clipGuidanceScale: '99' })).toBe(
      'CLIP guidance must be between 0 and 50',
    )
    expect(refusal({ prompt: 'x'.repeat(1001) })).toBe('The prompt must be at most 1000 characters')
    expect(refusal({ guidanceCutoff: '1.5' })).toBe('Guidance cutoff must be between 0 and 1')
    expect(refusal({ guidanceCutoff: 'soon' })).toBe('Guidance cutoff must be a number')
    expect(refusal({ guidanceReuseBelow: '2' })).toBe('Guidance reuse must be between 0 and 1')
    expect(refusal({ upsampleStart: '0' })).toBe('Upsampler start must be between 0.05 and 1')
  })

  it('remember what the next session starts from', () => {
    const checked = checkPromptValues(
      start({ guidanceScale: '4.5', guidanceFollowsMode: false, batchSize: '2' }),
    )
    if (!checked.ok) throw new Error(checked.message)
    expect(rememberedDefaults(checked.submission.sampling)).toEqual({
      guidanceScale: 4.5,
      baseRespacing: '100',
      upsampleRespacing: 'fast27',
      upsampleTemperature: 0.997,
      batchSize: 2,
      baseSampler: null,
      guidanceCutoff: null,
      guidanceReuseBelow: null,
      upsampleSampler: null,
      upsampleStart: null,
      unetPrecision: null,
    })
  })
})

describe('speed presets in the panel', () => {
  const sampling = (values: PromptValues, mode: GenerationMode = 'text-to-image') => {
    const checked = checkPromptValues(values, mode)
    if (!checked.ok) throw new Error(checked.message)
    return checked.submission.sampling
  }

  it('start at Quality, whose job is exactly the settings from before presets (no new field)', () => {
    const values = start()
    expect(presetOfValues(values)).toBe('quality')
    expect(withPreset(values, 'quality')).toEqual(values)
    expect(Object.keys(sampling(values)).sort()).toEqual(
      [
        'prompt',
        'guidanceScale',
        'baseRespacing',
        'upsampleRespacing',
        'upsampleTemperature',
        'seed',
        'batchSize',
      ].sort(),
    )
  })

  it("apply Fast's settings from the contract, and go back to Quality's exactly", () => {
    const fast = withPreset(start(), 'fast')
    expect(presetOfValues(fast)).toBe('fast')
    const preset = generationPresets.fast.settings
    const job = sampling(fast)
    for (const [field, value] of Object.entries(preset)) {
      if (value === null) expect(job).not.toHaveProperty(field)
      else expect(job).toHaveProperty(field, value)
    }
    const back = withPreset(fast, 'quality')
    expect(presetOfValues(back)).toBe('quality')
    expect(sampling(back)).toEqual(sampling(start()))
    // The preset changes only its own fields.
    const custom = withPreset(start({ guidanceScale: '6', guidanceFollowsMode: false }), 'fast')
    expect(custom).toMatchObject({ guidanceScale: '6', prompt: 'a lighthouse' })
  })

  it('are Custom once a field they set is edited, and match again when it is put back', () => {
    const fast = withPreset(start(), 'fast')
    // A value other than the preset's, whatever the eval tunes Fast to.
    const other = <T>(value: T, first: T, second: T) => (value === first ? second : first)
    const edits: Partial<PromptValues>[] = [
      { baseSampler: other(fast.baseSampler, 'ddim', 'ancestral') },
      { steps: other(fast.steps, '7', '8') },
      { guidanceCutoff: other(fast.guidanceCutoff, '0.25', '0.35') },
      { guidanceReuseBelow: other(fast.guidanceReuseBelow, '0.6', '0.7') },
      { upsampleSampler: other(fast.upsampleSampler, 'ddim', 'ancestral') },
      { upsampleSteps: other(fast.upsampleSteps, '7', '8') },
      { upsampleStart: other(fast.upsampleStart, '0.75', '0.8') },
      { unetPrecision: other(fast.unetPrecision, 'float32', 'int8') },
    ]
    for (const edit of edits) expect(presetOfValues({ ...fast, ...edit })).toBeNull()
    expect(presetOfValues({ ...start(), baseSampler: 'dpm++2m' })).toBeNull()
    expect(presetOfValues({ ...start(), steps: '20' })).toBeNull()
    // Typed as text: the same number with spaces around is still the preset.
    const typed = { ...fast, guidanceCutoff: ` ${fast.guidanceCutoff} `, steps: ` ${fast.steps}` }
    expect(presetOfValues(typed)).toBe('fast')
    // A custom cutoff, reuse and start reach the job as numbers, and Quality clears them.
    const customValues = {
      ...start(),
      guidanceCutoff: '0.4',
      guidanceReuseBelow: '0.6',
      upsampleStart: '0.7',
    }
    expect(sampling(customValues)).toMatchObject({
      guidanceCutoff: 0.4,
      guidanceReuseBelow: 0.6,
      upsampleStart: 0.7,
    })
    expect(sampling(withPreset(customValues, 'quality'))).toEqual(sampling(start()))
  })

  it('keep the chosen preset when the guidance mode changes, with its settings for that mode', () => {
    const clipSteps = generationPresets.fast.caseSettings?.['one-row']?.baseRespacing
    const fast = withPreset(start(), 'fast')
    const clipFast = withGuidance(fast, { guidanceMode: 'clip' })
    expect(clipFast.steps).toBe(clipSteps)
    expect(presetOfValues(clipFast)).toBe('fast')
    expect(sampling(clipFast)).toMatchObject({ guidanceMode: 'clip', baseRespacing: clipSteps })
    const back = withGuidance(clipFast, { guidanceMode: 'classifier-free' })
    expect(back).toEqual(fast)
    // Quality is the same in both modes; custom settings are kept as they are.
    expect(withGuidance(start(), { guidanceMode: 'clip' })).toEqual({
      ...start(),
      guidanceMode: 'clip',
    })
    const custom = { ...fast, steps: '30' }
    expect(withGuidance(custom, { guidanceMode: 'clip' })).toEqual({
      ...custom,
      guidanceMode: 'clip',
    })
    // Fast's classifier-free steps under CLIP are a custom combination.
    expect(presetOfValues({ ...fast, guidanceMode: 'clip' })).toBeNull()
  })

  it('keep the chosen preset when guidance goes to 1 and back, with its one-row steps at 1', () => {
    const oneRowSteps = generationPresets.fast.caseSettings?.['one-row']?.baseRespacing
    const fast = withPreset(start(), 'fast')
    const atOne = withGuidance(fast, { guidanceScale: '1', guidanceFollowsMode: false })
    expect(atOne.steps).toBe(oneRowSteps)
    expect(presetOfValues(atOne)).toBe('fast')
    expect(sampling(atOne)).toMatchObject({ guidanceScale: 1, baseRespacing: oneRowSteps })
    // Typing on to 1.5 runs both rows again: Fast's own steps come back.
    const typed = withGuidance(atOne, { guidanceScale: '1.5' })
    expect(typed.steps).toBe(fast.steps)
    expect(presetOfValues(typed)).toBe('fast')
    // "Use the default" (3 or 5, never 1) does the same.
    const followed = withGuidance(atOne, { guidanceFollowsMode: true })
    expect(followed.steps).toBe(fast.steps)
    expect(sampling(followed)).toEqual(sampling(fast))
    // Fast's two-row steps at guidance 1 are a custom combination; Quality is the same at any scale.
    expect(presetOfValues({ ...fast, guidanceScale: '1', guidanceFollowsMode: false })).toBeNull()
    const quality = withGuidance(start(), { guidanceScale: '1', guidanceFollowsMode: false })
    expect(quality.steps).toBe(start().steps)
    expect(presetOfValues(quality)).toBe('quality')
  })

  it('keep the chosen preset when guidance goes above 3 and back, with its strong-guidance steps', () => {
    const strongSteps = generationPresets.fast.caseSettings?.['strong-guidance']?.baseRespacing
    const fast = withPreset(start(), 'fast')
    const atFive = withGuidance(fast, { guidanceScale: '5', guidanceFollowsMode: false })
    expect(atFive.steps).toBe(strongSteps)
    expect(presetOfValues(atFive)).toBe('fast')
    expect(sampling(atFive)).toMatchObject({ guidanceScale: 5, baseRespacing: strongSteps })
    // The panel's fields serve both modes: a typed 5 takes the strong steps for inpainting too.
    expect(sampling(atFive, 'inpaint')).toMatchObject({
      guidanceScale: 5,
      baseRespacing: strongSteps,
    })
    const typed = withGuidance(atFive, { guidanceScale: '3' })
    expect(typed.steps).toBe(fast.steps)
    expect(presetOfValues(typed)).toBe('fast')
    // Following the mode's default keeps Fast's own steps, which inpainting at 5 was measured with.
    const followed = withGuidance(atFive, { guidanceFollowsMode: true })
    expect(followed.steps).toBe(fast.steps)
    expect(sampling(followed, 'inpaint')).toMatchObject({
      guidanceScale: 5,
      baseRespacing: fast.steps,
    })
    expect(presetOfValues({ ...fast, guidanceScale: '5', guidanceFollowsMode: false })).toBeNull()
  })

  it('recall a layer into the preset its job had, a Fast inpainting at the default guidance too', () => {
    const fast = withPreset(start(), 'fast')
    const layerOf = (values: PromptValues, mode: GenerationMode): GenerationInfo => {
      const job = sampling(values, mode)
      return {
        ...job,
        kind: mode,
        seed: 7,
        batchIndex: 0,
        model: 'glide-mini',
        frame: { x: 0, y: 0, width: 256, height: 256 },
      }
    }
    // Inpainting at its default (5) ran Fast's own steps: recalled, the panel shows Fast, and the
    // job it gives is the layer's.
    const inpaintLayer = layerOf(fast, 'inpaint')
    expect(inpaintLayer).toMatchObject({ guidanceScale: 5, baseRespacing: fast.steps })
    const recalled = recalledValues(withPreset(start(), 'quality'), inpaintLayer)
    expect(presetOfValues(recalled)).toBe('fast')
    const layerJob = { seed: 7, modelId: 'glide-mini' }
    expect(sampling(recalled, 'inpaint')).toEqual({ ...sampling(fast, 'inpaint'), ...layerJob })
    // A typed guidance above 3 ran the strong-guidance steps, and recalls as Fast at that guidance.
    const atFive = withGuidance(fast, { guidanceScale: '5', guidanceFollowsMode: false })
    const textLayer = layerOf(atFive, 'text-to-image')
    const recalledText = recalledValues(start(), textLayer)
    expect(recalledText).toMatchObject({ guidanceScale: '5', guidanceFollowsMode: false })
    expect(presetOfValues(recalledText)).toBe('fast')
    expect(sampling(recalledText)).toEqual({ ...sampling(atFive), ...layerJob })
  })

  it('start the next session at the preset or custom settings used last', () => {
    // The settings store merges what is remembered over what it holds (SettingsStore.applyPatch).
    let saved: GenerationDefaults = { ...generationDefaults.sampling }
    const remember = (values: PromptValues) => {
      saved = { ...saved, ...rememberedDefaults(sampling(values)) }
      return initialPromptValues(saved, 1)
    }
    const fast = withPreset(start(), 'fast')
    expect(presetOfValues(remember(fast))).toBe('fast')
    // The next session starts classifier-free: Fast used under CLIP comes back as Fast.
    const afterClip = remember(withGuidance(fast, { guidanceMode: 'clip' }))
    expect(afterClip.guidanceMode).toBe('classifier-free')
    expect(afterClip.steps).toBe(fast.steps)
    expect(presetOfValues(afterClip)).toBe('fast')
    // Guidance is remembered, so Fast at guidance 1 comes back at 1 with its one-row steps.
    const atOne = remember(withGuidance(fast, { guidanceScale: '1', guidanceFollowsMode: false }))
    expect(atOne.guidanceScale).toBe('1')
    expect(atOne.steps).toBe(generationPresets.fast.caseSettings?.['one-row']?.baseRespacing)
    expect(presetOfValues(atOne)).toBe('fast')
    const atFive = remember(withGuidance(fast, { guidanceScale: '5', guidanceFollowsMode: false }))
    expect(atFive.steps).toBe(
      generationPresets.fast.caseSettings?.['strong-guidance']?.baseRespacing,
    )
    expect(presetOfValues(atFive)).toBe('fast')
    // An inpainting job whose guidance followed the mode (5) ran Fast's own steps, and is Fast.
    const followedJob = sampling(fast, 'inpaint')
    expect(followedJob.guidanceScale).toBe(5)
    saved = { ...saved, ...rememberedDefaults(followedJob, true) }
    const afterInpaint = initialPromptValues(saved, 1)
    expect(afterInpaint.steps).toBe(fast.steps)
    expect(presetOfValues(afterInpaint)).toBe('fast')
    const custom = remember({ ...fast, guidanceCutoff: '0.45' })
    expect(presetOfValues(custom)).toBeNull()
    expect(custom.guidanceCutoff).toBe('0.45')
    // Back to Quality: the saved speed settings are cleared, and the next job is today's again.
    const quality = remember(withPreset(fast, 'quality'))
    expect(presetOfValues(quality)).toBe('quality')
    expect(sampling({ ...quality, prompt: 'a lighthouse', seed: '42' })).toEqual(sampling(start()))
  })
})
