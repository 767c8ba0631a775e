import {
  applyPreset,
  baseRowsPerImage,
  presetCaseOf,
  respacingStepCount,
  respacingParts,
  type GenerationMode,
  type GuidanceMode,
  type PresetName,
  type SamplerName,
} from '../../../../contract/generation'
import type { SpeedSettings } from './promptValues'

export const samplerLabels: Record<SamplerName, string> = {
  ancestral: 'Ancestral',
  ddim: 'DDIM',
  'dpm++2m': 'DPM-Solver++(2M)',
  'dpm++2m-sde': 'DPM-Solver++(2M) SDE',
}

/**
 * The sampler a stage runs when the job leaves it out (contract/generation): the notebooks',
 * ancestral for the base, DDIM for the text-to-image upsampler and ancestral to inpaint or refine.
 */
export function notebookSampler(stage: 'base' | 'upsample', mode: GenerationMode): SamplerName {
  return stage === 'upsample' && mode === 'text-to-image' ? 'ddim' : 'ancestral'
}

/** "0.33": a section boundary of the timesteps as a share of T. */
function shareOfT(share: number): string {
  return String(Math.round(share * 100) / 100)
}

/**
 * Where a sectioned respacing puts its steps: "3,12" → "3 below t = 0.5 T, 12 above" (GLIDE splits
 * the timesteps into equal sections, the first the least noisy, and spaces each count in its own).
 */
function sectionWords(counts: readonly string[]): string {
  const last = counts.length - 1
  return counts
    .map((count, index) => {
      if (index === 0) return `${count} below t = ${shareOfT(1 / counts.length)} T`
      if (index === last) return `${count} above`
      return `${count} from ${shareOfT(index / counts.length)} to ${shareOfT((index + 1) / counts.length)} T`
    })
    .join(', ')
}

/** "the noisiest step split in two": what a "+N" suffix does. */
function splitWords(extra: number): string {
  const parts = ['two', 'three', 'four', 'five'][extra - 1] ?? String(extra + 1)
  return `the noisiest step split in ${parts}`
}

/**
 * "100 base steps", "27 steps (fast27)", "15 base steps (3 below t = 0.5 T, 12 above)",
 * "21 base steps (3 below t = 0.5 T, 17 above; the noisiest step split in three; t = 500 left out)".
 */
function stepWords(respacing: string, noun: string): string {
  const count = respacingStepCount(respacing)
  const parts = respacingParts(respacing)
  if (count === null || parts === null) return `${noun} "${respacing}"`
  const sections = parts.layout.split(',').map((part) => part.trim())
  const layout =
    sections.length > 1
      ? [sectionWords(sections)]
      : /^\d+$/.test(parts.layout)
        ? []
        : [parts.layout]
  const split = parts.extraSteps > 0 ? [splitWords(parts.extraSteps)] : []
  const left = parts.withoutTimesteps.map((timestep) => `t = ${timestep} left out`)
  const words = [...layout, ...split, ...left].join('; ')
  return words === '' ? `${count} ${noun}` : `${count} ${noun} (${words})`
}

/**
 * Where the job guides, in words: classifier-free guidance's interval, CLIP's every step, or the
 * caption rows alone at guidance 1.
 */
function guidanceWords(
  settings: SpeedSettings,
  { guidanceMode = 'classifier-free', guidanceScale = Number.NaN, clipGuidanceScale }: SpeedContext,
): string {
  // Neither runs unconditional rows, so the interval and reuse settings change nothing.
  if (guidanceMode === 'clip') {
    return clipGuidanceScale === 0
      ? 'CLIP guidance 0 (the caption rows alone, nothing steering them)'
      : 'CLIP guidance at every step'
  }
  if (baseRowsPerImage({ guidanceScale }) === 1) {
    return 'guidance 1 (the caption rows alone, no unconditional rows)'
  }
  const guidanceSpan = settings.guidanceCutoff
    ? `guidance above t = ${settings.guidanceCutoff} T`
    : 'guidance at every step'
  const reuseBelow = settings.guidanceReuseBelow ?? 0
  return reuseBelow > (settings.guidanceCutoff ?? 0)
    ? `${guidanceSpan} (unconditional rows every other step below ${reuseBelow} T)`
    : guidanceSpan
}

/** What the words depend on besides the settings. */
export interface SpeedContext {
  /** false: the job stops at the base size, so the upsampler's settings do nothing. */
  upsampling?: boolean
  guidanceMode?: GuidanceMode
  /** The job's classifier-free guidance (absent: not 1). */
  guidanceScale?: number
  /** The job's CLIP guidance (absent: the default, not 0). */
  clipGuidanceScale?: number
}

/**
 * The speed settings in words, e.g. "Ancestral, 15 base steps (3 below t = 0.5 T, 12 above), guidance
 * above t = 0.3 T (unconditional rows every other step below 0.8 T); upsampler DDIM, 3 steps from the
 * low-res image at t = 0.4 T; 8-bit upsampler on CPU".
 */
export function describeSpeed(
  settings: SpeedSettings,
  mode: GenerationMode,
  context: SpeedContext = {},
): string {
  const { upsampling = true } = context
  const base = samplerLabels[settings.baseSampler ?? notebookSampler('base', mode)]
  const guidance = guidanceWords(settings, context)
  const baseWords = `${base}, ${stepWords(settings.baseRespacing, 'base steps')}, ${guidance}`
  const precision =
    settings.unetPrecision === 'int8'
      ? '; 8-bit U-Nets on CPU'
      : settings.unetPrecision === 'int8-upsampler' && upsampling
        ? '; 8-bit upsampler on CPU'
        : ''
  if (!upsampling) return `${baseWords}; no upsampler${precision}`
  const upsampler = samplerLabels[settings.upsampleSampler ?? notebookSampler('upsample', mode)]
  const start =
    settings.upsampleStart === undefined
      ? ''
      : ` from the low-res image at t = ${settings.upsampleStart} T`
  return `${baseWords}; upsampler ${upsampler}, ${stepWords(settings.upsampleRespacing, 'steps')}${start}${precision}`
}

/** What a preset sets, in words (from contract/generation's generationPresets). */
export function describePreset(
  name: PresetName,
  mode: GenerationMode,
  context: SpeedContext = {},
): string {
  const settings = applyPreset<SpeedSettings>(
    { baseRespacing: '', upsampleRespacing: '' },
    name,
    // The panel's case: its fields serve both modes and take text to image's (presetCaseOfValues).
    presetCaseOf({
      guidanceMode: context.guidanceMode,
      guidanceScale: context.guidanceScale ?? Number.NaN,
    }),
  )
  const words = describeSpeed(settings, mode, context)
  return name === 'quality' ? `GLIDE's notebook: ${words}` : words
}
