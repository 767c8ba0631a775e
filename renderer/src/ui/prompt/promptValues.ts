import {
  applyPreset,
  generationDefaults,
  presetCaseOf,
  presetOf,
  zRegionSettings,
  zSamplingSettings,
  zStrength,
  type GenerationMode,
  type GuidanceMode,
  type PresetCase,
  type PresetName,
  type PresetSettings,
  type RegionSettings,
  type SamplerName,
  type SamplingSettings,
  type UNetPrecision,
} from '../../../../contract/generation'
import type { GenerationInfo } from '../../../../contract/documents'
import type { GenerationDefaults } from '../../../../contract/settings'

/** The upsampler choice that means "stop at the base model's size". */
export const noUpsampler = 'none'

/**
 * What the prompt panel's fields hold. Numbers stay text while the user types, so a half-typed
 * value is shown as typed and refused with a readable message at Generate, never silently fixed.
 */
export interface PromptValues {
  prompt: string
  /** '' = the best installed model. */
  modelId: string
  /** '' = the best installed upsampler, {@link noUpsampler} = none. */
  upsampleModelId: string
  guidanceMode: GuidanceMode
  /** The user's own guidance; used only when {@link guidanceFollowsMode} is false. */
  guidanceScale: string
  /**
   * True until the user sets guidance: the job then gets the contract's default for what Generate
   * does (5 for inpainting as in inpaint.ipynb, 3 for text to image and refine).
   */
  guidanceFollowsMode: boolean
  clipGuidanceScale: string
  steps: string
  upsampleSteps: string
  upsampleTemperature: string
  /** '' = absent from the job: the notebooks' sampler for the stage. */
  baseSampler: SamplerName | ''
  upsampleSampler: SamplerName | ''
  /** '' = absent from the job: guidance at every step. */
  guidanceCutoff: string
  /** '' = absent from the job: both halves at every guided step. */
  guidanceReuseBelow: string
  /** '' = absent from the job: the upsampler's own start (its hint, or pure noise). */
  upsampleStart: string
  /** '' = absent from the job: float32, as GLIDE runs. */
  unetPrecision: UNetPrecision | ''
  seed: string
  newSeedEachRun: boolean
  batchSize: string
  refine: boolean
  strength: string
  /** '' = automatic feather. */
  featherPx: string
  colourMatch: boolean
}

/**
 * The panel's first values: the saved defaults (what was used last) or the contract's. Guidance
 * follows the mode unless the saved guidance is the user's own (not the contract's default).
 */
export function initialPromptValues(saved: GenerationDefaults | null, seed: number): PromptValues {
  const sampling = saved ?? generationDefaults.sampling
  return {
    prompt: '',
    modelId: '',
    upsampleModelId: '',
    guidanceMode: 'classifier-free',
    guidanceScale: String(sampling.guidanceScale),
    guidanceFollowsMode: sampling.guidanceScale === generationDefaults.sampling.guidanceScale,
    clipGuidanceScale: String(generationDefaults.clipGuidanceScale),
    steps: sampling.baseRespacing,
    upsampleSteps: sampling.upsampleRespacing,
    upsampleTemperature: String(sampling.upsampleTemperature),
    baseSampler: saved?.baseSampler ?? '',
    upsampleSampler: saved?.upsampleSampler ?? '',
    guidanceCutoff: optionalText(saved?.guidanceCutoff),
    guidanceReuseBelow: optionalText(saved?.guidanceReuseBelow),
    upsampleStart: optionalText(saved?.upsampleStart),
    unetPrecision: saved?.unetPrecision ?? '',
    seed: String(seed),
    newSeedEachRun: generationDefaults.newSeedEachRun,
    batchSize: String(sampling.batchSize),
    refine: false,
    strength: String(generationDefaults.strength),
    featherPx:
      generationDefaults.region.featherPx === null
        ? ''
        : String(generationDefaults.region.featherPx),
    colourMatch: generationDefaults.region.colourMatch,
  }
}

/**
 * The saved defaults arrive after the panel first shows: they fill every field the person has not
 * changed since then (`shownFirst`), and what they typed or ticked meanwhile stays. The prompt and
 * the seed are never taken from the saved defaults.
 */
export function withSavedDefaults(
  current: PromptValues,
  shownFirst: PromptValues,
  saved: GenerationDefaults,
): PromptValues {
  const result: PromptValues = initialPromptValues(saved, Number(current.seed))
  const writable = result as unknown as Record<string, unknown>
  for (const field of Object.keys(current) as (keyof PromptValues)[]) {
    if (current[field] !== shownFirst[field]) writable[field] = current[field]
  }
  return { ...result, prompt: current.prompt, seed: current.seed }
}

/** A saved number as the field shows it; '' when it is absent. */
function optionalText(value: number | null | undefined): string {
  return value === null || value === undefined ? '' : String(value)
}

/** A checked submission: exactly what the job gets. */
export interface PromptSubmission {
  sampling: SamplingSettings
  /** null = not a refine job. */
  strength: number | null
  region: RegionSettings
}

/** A refusal: the sentence to show and the field it is about. */
export interface PromptProblem {
  message: string
  field: keyof PromptValues | null
}

export type CheckedPrompt =
  { ok: true; submission: PromptSubmission } | ({ ok: false } & PromptProblem)

/** The guidance a job gets in `mode`, as the guidance field shows it. */
export function shownGuidance(values: PromptValues, mode: GenerationMode): string {
  return values.guidanceFollowsMode
    ? String(generationDefaults.guidanceByMode[mode])
    : values.guidanceScale
}

/** The panel field each schema key is typed into. */
const fieldOfKey: Record<string, keyof PromptValues> = {
  prompt: 'prompt',
  modelId: 'modelId',
  upsampleModelId: 'upsampleModelId',
  guidanceScale: 'guidanceScale',
  clipGuidanceScale: 'clipGuidanceScale',
  baseRespacing: 'steps',
  upsampleRespacing: 'upsampleSteps',
  upsampleTemperature: 'upsampleTemperature',
  baseSampler: 'baseSampler',
  upsampleSampler: 'upsampleSampler',
  guidanceCutoff: 'guidanceCutoff',
  guidanceReuseBelow: 'guidanceReuseBelow',
  upsampleStart: 'upsampleStart',
  unetPrecision: 'unetPrecision',
  seed: 'seed',
  batchSize: 'batchSize',
  featherPx: 'featherPx',
}

/** '' and text that is not a number become NaN, which the schemas refuse with their message. */
function numberFrom(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text)
}

/**
 * Checks the fields with the contract's schemas and returns the job's settings, or the first
 * problem as a sentence ("Guidance must be between 0 and 50"). `mode` is what Generate does with
 * the canvas now; it picks the guidance while guidance follows the mode.
 */
export function checkPromptValues(
  values: PromptValues,
  mode: GenerationMode = 'text-to-image',
): CheckedPrompt {
  const clip = values.guidanceMode === 'clip'
  const sampling = zSamplingSettings.safeParse({
    prompt: values.prompt,
    ...(values.modelId ? { modelId: values.modelId } : {}),
    ...(values.upsampleModelId === noUpsampler
      ? { upsampleModelId: null }
      : values.upsampleModelId
        ? { upsampleModelId: values.upsampleModelId }
        : {}),
    guidanceScale: numberFrom(shownGuidance(values, mode)),
    baseRespacing: values.steps.trim(),
    upsampleRespacing: values.upsampleSteps.trim(),
    upsampleTemperature: numberFrom(values.upsampleTemperature),
    ...speedFields(values),
    ...(clip ? { guidanceMode: 'clip', clipGuidanceScale: clipGuidanceScaleOf(values) } : {}),
    seed: numberFrom(values.seed),
    batchSize: numberFrom(values.batchSize),
  })
  if (!sampling.success) return refused(sampling.error)
  let strength: number | null = null
  if (values.refine) {
    const checked = zStrength.safeParse(numberFrom(values.strength))
    if (!checked.success) return { ...refused(checked.error), field: 'strength' }
    strength = checked.data
  }
  const region = zRegionSettings.safeParse({
    featherPx: values.featherPx.trim() === '' ? null : numberFrom(values.featherPx),
    colourMatch: values.colourMatch,
  })
  if (!region.success) return refused(region.error)
  return { ok: true, submission: { sampling: sampling.data, strength, region: region.data } }
}

function refused(error: {
  issues: readonly { message: string; path: readonly PropertyKey[] }[]
}): { ok: false } & PromptProblem {
  const issue = error.issues[0]
  const key = issue?.path[0]
  return {
    ok: false,
    message: issue?.message ?? 'These settings cannot be used',
    field: typeof key === 'string' ? (fieldOfKey[key] ?? null) : null,
  }
}

/**
 * What the panel remembers for the next session (settings.update's defaults). Guidance that
 * follows the mode is remembered as the contract's default, so the next session follows it too.
 * Speed settings the job leaves out are remembered as null, which clears the ones saved before.
 */
export function rememberedDefaults(
  sampling: SamplingSettings,
  guidanceFollowsMode = false,
): GenerationDefaults {
  const guidanceScale = guidanceFollowsMode
    ? generationDefaults.sampling.guidanceScale
    : sampling.guidanceScale
  // The preset is recognised in the panel's case (guidance that follows the mode counts as the
  // default), and remembered in the case of the next session, which starts with classifier-free
  // guidance at this scale.
  const preset = presetOf(
    sampling,
    presetCaseOf({ guidanceMode: sampling.guidanceMode, guidanceScale }),
  )
  const speed = preset ? applyPreset(sampling, preset, presetCaseOf({ guidanceScale })) : sampling
  const { baseRespacing, upsampleRespacing, upsampleTemperature, batchSize } = speed
  return {
    guidanceScale,
    baseRespacing,
    upsampleRespacing,
    upsampleTemperature,
    batchSize,
    baseSampler: speed.baseSampler ?? null,
    guidanceCutoff: speed.guidanceCutoff ?? null,
    guidanceReuseBelow: speed.guidanceReuseBelow ?? null,
    upsampleSampler: speed.upsampleSampler ?? null,
    upsampleStart: speed.upsampleStart ?? null,
    unetPrecision: speed.unetPrecision ?? null,
  }
}

/** The settings a speed preset decides, in the contract's form (absent = the notebooks'). */
export type SpeedSettings = Pick<SamplingSettings, keyof PresetSettings>

/** The panel's speed fields as the job gets them: an empty field is absent from the job. */
function speedFields(
  values: PromptValues,
): Omit<SpeedSettings, 'baseRespacing' | 'upsampleRespacing'> {
  return {
    ...(values.baseSampler ? { baseSampler: values.baseSampler } : {}),
    ...(values.guidanceCutoff.trim() ? { guidanceCutoff: numberFrom(values.guidanceCutoff) } : {}),
    ...(values.guidanceReuseBelow.trim()
      ? { guidanceReuseBelow: numberFrom(values.guidanceReuseBelow) }
      : {}),
    ...(values.upsampleSampler ? { upsampleSampler: values.upsampleSampler } : {}),
    ...(values.upsampleStart.trim() ? { upsampleStart: numberFrom(values.upsampleStart) } : {}),
    ...(values.unetPrecision ? { unetPrecision: values.unetPrecision } : {}),
  }
}

/** What the panel's fields set of a preset's settings, as a job would get them. */
export function speedSettingsOf(values: PromptValues): SpeedSettings {
  return {
    baseRespacing: values.steps.trim(),
    upsampleRespacing: values.upsampleSteps.trim(),
    ...speedFields(values),
  }
}

/**
 * The classifier-free guidance the job gets (a half-typed value as NaN). Guidance that follows the
 * mode is given as the text-to-image default: no mode's default is 1, so the base rows are the same.
 */
export function guidanceScaleOf(values: PromptValues): number {
  return values.guidanceFollowsMode
    ? generationDefaults.sampling.guidanceScale
    : numberFrom(values.guidanceScale)
}

/** The CLIP guidance the job gets under CLIP guidance (a half-typed value as NaN). */
export function clipGuidanceScaleOf(values: PromptValues): number {
  return numberFrom(values.clipGuidanceScale)
}

/**
 * The case of the panel's preset: its speed fields serve both modes and take text to image's case
 * (contract's presetCaseOf), so a typed guidance above 3 takes the strong-guidance steps in either.
 */
export function presetCaseOfValues(values: PromptValues): PresetCase {
  return presetCaseOf({
    guidanceMode: values.guidanceMode,
    guidanceScale: guidanceScaleOf(values),
  })
}

/** The preset the panel's values are exactly, or null when the user has made them custom. */
export function presetOfValues(values: PromptValues): PresetName | null {
  return presetOf(speedSettingsOf(values), presetCaseOfValues(values))
}

/**
 * The values with the guidance changed (its mode, scale, or following the mode's default). A
 * preset stays chosen: when the preset's case changes, its settings for the new case replace those
 * for the old one (Fast takes more base steps under CLIP, at guidance 1 and above 3).
 */
export function withGuidance(
  values: PromptValues,
  change: Partial<Pick<PromptValues, 'guidanceMode' | 'guidanceScale' | 'guidanceFollowsMode'>>,
): PromptValues {
  const preset = presetOfValues(values)
  const changed = { ...values, ...change }
  return preset ? withPreset(changed, preset) : changed
}

/** The panel's values with a preset's settings applied (its absent fields emptied). */
export function withPreset(values: PromptValues, name: PresetName): PromptValues {
  const settings = applyPreset(speedSettingsOf(values), name, presetCaseOfValues(values))
  return { ...values, ...speedValuesOf(settings) }
}

type SpeedValueFields =
  | 'steps'
  | 'upsampleSteps'
  | 'baseSampler'
  | 'guidanceCutoff'
  | 'guidanceReuseBelow'
  | 'upsampleSampler'
  | 'upsampleStart'
  | 'unetPrecision'

/** Speed settings as the panel's fields show them (an absent setting as an empty field). */
function speedValuesOf(settings: SpeedSettings): Pick<PromptValues, SpeedValueFields> {
  return {
    steps: settings.baseRespacing,
    upsampleSteps: settings.upsampleRespacing,
    baseSampler: settings.baseSampler ?? '',
    guidanceCutoff: settings.guidanceCutoff === undefined ? '' : String(settings.guidanceCutoff),
    guidanceReuseBelow:
      settings.guidanceReuseBelow === undefined ? '' : String(settings.guidanceReuseBelow),
    upsampleSampler: settings.upsampleSampler ?? '',
    upsampleStart: settings.upsampleStart === undefined ? '' : String(settings.upsampleStart),
    unetPrecision: settings.unetPrecision ?? '',
  }
}

/**
 * The panel's values with a layer's settings recalled ("Use these settings"). A classifier-free
 * layer made at its mode's default guidance comes back following the default, as its job ran: the
 * panel then takes the preset case that job had (Fast's own steps for inpainting at 5, not those
 * for a typed guidance above 3).
 */
export function recalledValues(current: PromptValues, generation: GenerationInfo): PromptValues {
  const guidanceMode = generation.guidanceMode ?? 'classifier-free'
  return {
    ...current,
    prompt: generation.prompt,
    seed: String(generation.seed),
    newSeedEachRun: false,
    guidanceScale: String(generation.guidanceScale),
    guidanceFollowsMode:
      guidanceMode === 'classifier-free' &&
      generation.guidanceScale === generationDefaults.guidanceByMode[generation.kind],
    guidanceMode,
    clipGuidanceScale:
      generation.clipGuidanceScale === undefined
        ? current.clipGuidanceScale
        : String(generation.clipGuidanceScale),
    ...speedValuesOf(generation),
    upsampleTemperature: String(generation.upsampleTemperature),
    modelId: generation.model,
  }
}
