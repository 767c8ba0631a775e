import { z } from 'zod'

/**
 * The one declaration of what a generation takes: every limit, default and message. The prompt
 * panel, the CLI, the job queue and the inference host all validate with these schemas, so a value
 * the panel accepts is a value the host runs, and a refusal reads the same everywhere.
 */

export const generationLimits = {
  promptChars: 1000,
  guidanceScale: { min: 0, max: 50 },
  clipGuidanceScale: { min: 0, max: 50 },
  upsampleTemperature: { min: 0.01, max: 2 },
  /** Variations per run; the base model sees twice as many rows with guidance. */
  batchSize: { min: 1, max: 8 },
  seed: { min: 0, max: 0xffffffff },
  /** Refine: how far the frame is noised before denoising (t = strength · T). */
  strength: { min: 0.01, max: 1 },
  /** Mask feather in document pixels, inwards from the painted edge. */
  featherPx: { min: 0, max: 128 },
  /** Total sampler steps of one stage. */
  steps: { min: 1, max: 1000 },
  respacingChars: 64,
  /** Fraction of the diffusion (t / T) below which guidance is skipped. */
  guidanceCutoff: { min: 0, max: 1 },
  /** Fraction of the diffusion (t / T) below which the unconditional rows run every other step. */
  guidanceReuseBelow: { min: 0, max: 1 },
  /** Fraction of the diffusion (t / T) the upsampler starts from. */
  upsampleStart: { min: 0.05, max: 1 },
} as const

const between = (name: string, range: { min: number; max: number }) =>
  `${name} must be between ${range.min} and ${range.max}`

/** A number within `range`, refused with "<name> must be a number / between …". */
const numberBetween = (name: string, range: { min: number; max: number }) =>
  z
    .number({ error: `${name} must be a number` })
    .min(range.min, between(name, range))
    .max(range.max, between(name, range))

/**
 * Sampler steps as glide-text2im writes a respacing: "100" (100 evenly spaced steps), "fast27",
 * "ddim50", or sections "10,10,3". Every section takes at least one step. "+N" after any of them
 * splits the noisiest step into N + 1, and "-t" then leaves timestep t out ("3,17+2-500").
 */
export const zRespacing = z
  .string()
  .trim()
  .max(generationLimits.respacingChars, 'Steps: too long')
  .refine((value) => respacingStepCount(value) !== null, {
    message: `Steps must be a whole number from ${generationLimits.steps.min} to ${generationLimits.steps.max} (or fast27, ddimN, or sections like 10,10,3; +N splits the noisiest step, -t leaves timestep t out)`,
  })

/** A respacing read into its layout and the suffixes that change it (see respacingParts). */
export interface RespacingParts {
  /** What glide-text2im's space_timesteps reads: "100", "fast27", "ddim50", "3,17". */
  layout: string
  /** "+N": the noisiest step split into N + 1 (0 without the suffix). */
  extraSteps: number
  /** "-t" (any number of them, after "+N"): timesteps left out of the kept ones. */
  withoutTimesteps: number[]
}

/**
 * A respacing's suffixes (main/engine/diffusion/schedules.ts applies them; this contract and the
 * speed words read them here). "+N" splits the noisiest step into N + 1; "-t" leaves timestep t
 * out, e.g. where two sections both keep their boundary ("3,17" keeps 499 and 500, a step that
 * barely moves the sample). "3,17+2-500" → { layout: '3,17', extraSteps: 2,
 * withoutTimesteps: [500] }. Null when the suffixes are malformed ("+0", "-", a timestep twice);
 * the layout is checked elsewhere.
 */
export function respacingParts(value: string): RespacingParts | null {
  const match = /^([^+-]*)(?:\+(\d{1,2}))?((?:-\d{1,4})*)$/.exec(value.trim())
  if (!match) return null
  const extraSteps = match[2] === undefined ? 0 : Number(match[2])
  if (match[2] !== undefined && extraSteps < 1) return null
  const withoutTimesteps = (match[3] ?? '')
    .split('-')
    .filter((part) => part !== '')
    .map(Number)
  if (new Set(withoutTimesteps).size !== withoutTimesteps.length) return null
  return { layout: (match[1] ?? '').trim(), extraSteps, withoutTimesteps }
}

/**
 * Total steps of a respacing string, or null when it is not a valid one (0 steps included). A "-t"
 * is counted as one step less; whether t is among the kept steps depends on the model's diffusion
 * length, so the engine checks that (schedules.ts).
 */
export function respacingStepCount(value: string): number | null {
  const parts = respacingParts(value)
  if (!parts) return null
  const layoutSteps = layoutStepCount(parts.layout)
  if (layoutSteps === null) return null
  if (parts.extraSteps > 0 && layoutSteps < 2) return null
  const total = layoutSteps + parts.extraSteps - parts.withoutTimesteps.length
  return total >= generationLimits.steps.min && total <= generationLimits.steps.max ? total : null
}

/** Steps of a layout without suffixes ("100", "fast27", "ddim50", "3,17"), or null. */
function layoutStepCount(text: string): number | null {
  if (text === 'fast27') return 27
  const ddim = /^ddim(\d{1,4})$/.exec(text)
  const sections = ddim ? [ddim[1] ?? ''] : text.split(',')
  if (sections.length === 0 || sections.length > 16) return null
  let total = 0
  for (const section of sections) {
    if (!/^\d{1,4}$/.test(section)) return null
    const count = Number(section)
    if (count < 1) return null
    total += count
  }
  return total
}

export const zModelId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'not a model id')

export const zSeed = z
  .number({ error: 'Seed must be a whole number' })
  .int('Seed must be a whole number')
  .min(generationLimits.seed.min, between('Seed', generationLimits.seed))
  .max(generationLimits.seed.max, between('Seed', generationLimits.seed))

/**
 * The samplers a stage can run (main/engine/diffusion/samplers.ts): GLIDE's ancestral p_sample,
 * DDIM (eta 0), DPM-Solver++(2M), a deterministic multistep solver that needs far fewer steps, and
 * its stochastic (SDE) form, which adds fresh noise at each step as the ancestral sampler does.
 */
export const samplerNames = ['ancestral', 'ddim', 'dpm++2m', 'dpm++2m-sde'] as const
export const zSamplerName = z.enum(samplerNames, {
  error: `Sampler must be one of ${samplerNames.join(', ')}`,
})
export type SamplerName = z.infer<typeof zSamplerName>

/**
 * How the U-Nets' convolutions run on CPU: 'float32' as GLIDE does; 'int8' runs an 8-bit copy of
 * each model, calibrated once per model folder (main/inference/host/int8UNet.ts), whose steps run
 * 2.1× (base) to 2.5× (upsampler) faster; 'int8-upsampler' runs only the upsampler in 8 bits.
 * The base's guided steps amplify its rounding by the guidance scale (5 for inpainting), which cost
 * GLIDE-mini's inpainting 4 points; the upsampler has no guidance. GPU providers run float32.
 */
export const unetPrecisions = ['float32', 'int8-upsampler', 'int8'] as const
export const zUNetPrecision = z.enum(unetPrecisions, {
  error: `Precision must be one of ${unetPrecisions.join(', ')}`,
})
export type UNetPrecision = z.infer<typeof zUNetPrecision>

/** What one model runs in. */
export type ModelPrecision = 'float32' | 'int8'

/** The precision of one stage's model under a setting (absent = float32). */
export function stagePrecision(
  precision: UNetPrecision | undefined,
  stage: 'base' | 'upsample',
): ModelPrecision {
  if (precision === 'int8') return 'int8'
  return precision === 'int8-upsampler' && stage === 'upsample' ? 'int8' : 'float32'
}

/** The settings every generation shares (text to image, inpaint, outpaint, refine). */
export const zSamplingSettings = z.strictObject({
  prompt: z
    .string()
    .max(
      generationLimits.promptChars,
      `The prompt must be at most ${generationLimits.promptChars} characters`,
    ),
  /** The base (or base-inpaint) model; omitted means the best installed one. */
  modelId: zModelId.optional(),
  /** The upsampler; null means "stop at 64 px", omitted means the best installed one. */
  upsampleModelId: zModelId.nullable().optional(),
  guidanceScale: numberBetween('Guidance', generationLimits.guidanceScale),
  baseRespacing: zRespacing,
  upsampleRespacing: zRespacing,
  upsampleTemperature: numberBetween('Upsampler temperature', generationLimits.upsampleTemperature),
  /**
   * How samples are steered toward the caption: classifier-free guidance (guidanceScale) or, as in
   * GLIDE's clip_guided notebook, a noise-aware CLIP's gradient (clipGuidanceScale, no
   * classifier-free rows). Omitted = classifier-free.
   */
  guidanceMode: z.enum(['classifier-free', 'clip']).optional(),
  clipGuidanceScale: numberBetween('CLIP guidance', generationLimits.clipGuidanceScale).optional(),
  /** The base stage's sampler; omitted = the notebooks' (ancestral). */
  baseSampler: zSamplerName.optional(),
  /**
   * The upsampler's sampler; omitted = the notebooks' for the mode (DDIM for text to image,
   * ancestral for inpainting and refining).
   */
  upsampleSampler: zSamplerName.optional(),
  /**
   * Guidance interval: classifier-free guidance runs only at timesteps t ≥ guidanceCutoff · T; below
   * it the base runs the conditional rows alone (half the rows). Omitted or 0 = every step.
   */
  guidanceCutoff: numberBetween('Guidance cutoff', generationLimits.guidanceCutoff).optional(),
  /**
   * Guidance reuse: between the guidance cutoff and t = guidanceReuseBelow · T the unconditional
   * rows run at every other base step; the steps between run the conditional rows alone and reuse
   * the direction cond − uncond of the step before. Omitted or 0 = both halves at every guided step.
   */
  guidanceReuseBelow: numberBetween(
    'Guidance reuse',
    generationLimits.guidanceReuseBelow,
  ).optional(),
  /**
   * The upsampler starts from the low-res image noised to t = upsampleStart · T (SDEdit-style, the
   * content is fixed by the low-res image) and upsampleRespacing counts the steps it runs from there.
   * Omitted = the upsampler's own hint (model.json sampling.upsampleFromLowResAt) or pure noise.
   */
  upsampleStart: numberBetween('Upsampler start', generationLimits.upsampleStart).optional(),
  /** The U-Nets' precision on CPU (see zUNetPrecision); omitted = float32. */
  unetPrecision: zUNetPrecision.optional(),
  seed: zSeed,
  batchSize: z
    .number({ error: 'Variations must be a whole number' })
    .int('Variations must be a whole number')
    .min(generationLimits.batchSize.min, between('Variations', generationLimits.batchSize))
    .max(generationLimits.batchSize.max, between('Variations', generationLimits.batchSize)),
})
export type SamplingSettings = z.infer<typeof zSamplingSettings>

export const zStrength = numberBetween('Strength', generationLimits.strength)

export const zFeatherPx = z
  .number({ error: 'Feather must be a whole number of pixels' })
  .int('Feather must be a whole number of pixels')
  .min(generationLimits.featherPx.min, between('Feather', generationLimits.featherPx))
  .max(generationLimits.featherPx.max, between('Feather', generationLimits.featherPx))

/** How a region's result is put back into the picture (editor and CLI inpaint). */
export const zRegionSettings = z.strictObject({
  /** null = automatic (about 1/64 of the frame side). */
  featherPx: zFeatherPx.nullable(),
  /** Shift the fill's mean colour toward the unmasked pixels around it. */
  colourMatch: z.boolean(),
})
export type RegionSettings = z.infer<typeof zRegionSettings>

export type GenerationMode = 'text-to-image' | 'inpaint' | 'refine'

/** The official notebooks' defaults (text2im.ipynb, inpaint.ipynb), plus the editor's own. */
export const generationDefaults = {
  sampling: {
    guidanceScale: 3,
    baseRespacing: '100',
    upsampleRespacing: 'fast27',
    upsampleTemperature: 0.997,
    batchSize: 1,
  },
  /** Guidance where the mode's notebook uses another one. */
  guidanceByMode: { 'text-to-image': 3, inpaint: 5, refine: 3 },
  clipGuidanceScale: 3,
  strength: 0.5,
  region: { featherPx: null, colourMatch: false },
  newSeedEachRun: true,
} as const satisfies {
  sampling: Omit<SamplingSettings, 'prompt' | 'seed'>
  guidanceByMode: Record<GenerationMode, number>
  clipGuidanceScale: number
  strength: number
  region: RegionSettings
  newSeedEachRun: boolean
}

/**
 * The CLIP guidance scale a CLIP-guided job runs at (the notebook's 3 when unset). At 0 the
 * gradient moves nothing, so such a job runs no CLIP and needs none installed.
 */
export function clipGuidanceScaleOfJob(settings: {
  clipGuidanceScale?: number | undefined
}): number {
  return settings.clipGuidanceScale ?? generationDefaults.clipGuidanceScale
}

/** A seed drawn uniformly from the whole range. */
export function randomSeed(random: () => number = Math.random): number {
  return Math.floor(random() * (generationLimits.seed.max + 1))
}

/**
 * Speed presets. Quality is the notebooks' settings: every field below absent (null here), so its
 * output is the same, byte for byte, as before presets existed. Fast runs GLIDE's ancestral sampler
 * for 21 base steps: 3 below t = 0.5 T, 17 above (where layout and colours are decided), with the
 * noisiest step split in three (the first step takes 999 → 989 as Quality's does; one 31-step first
 * jump drew gray backgrounds for "white") and t = 500 left out (the two sections both keep their
 * boundary, and the step from 500 to 499, β = 0.003, barely moves the sample). Guidance runs down
 * to t = 0.2 T: stopping it at 0.5 T lost about 2 points of inpainting. It then starts the
 * upsampler from the low-res image noised to t = 0.4 T (3 DDIM steps, the upsampler in 8 bits on
 * CPU): 44 U-Net rows per image against Quality's 222 on GLIDE-mini (227 at the official size).
 * A CLIP-guided job runs no unconditional rows, nor does classifier-free guidance at scale 1 (the
 * caption rows alone: the engine leaves the unconditional ones out), so the same steps would cost
 * 24 rows against Quality's 122; there Fast takes 25 base steps instead, 4 of them below 0.5 T
 * (28 rows), as unguided samples decide object counts, shapes and sizes in that less noisy half.
 * native-models/eval/results-presets.txt measures what that costs in accuracy, and why the other
 * samplers, step layouts and an 8-bit base lost there; the README's benchmarks give the time.
 */
export const presetNames = ['quality', 'fast'] as const
export type PresetName = (typeof presetNames)[number]
export const zPresetName = z.enum(presetNames, {
  error: `Preset must be one of ${presetNames.join(', ')}`,
})

/** How a job is steered toward its caption (absent from SamplingSettings = classifier-free). */
export type GuidanceMode = NonNullable<SamplingSettings['guidanceMode']>

/**
 * The U-Net rows a job's base runs per image per step: 2 under classifier-free guidance (the
 * caption's and the empty caption's), 1 under CLIP guidance and at classifier-free scale 1, where
 * the unconditional rows would cancel out and are left out.
 */
export type BaseRowsPerImage = 1 | 2

export function baseRowsPerImage(job: {
  guidanceMode?: GuidanceMode | undefined
  guidanceScale: number
}): BaseRowsPerImage {
  return job.guidanceMode === 'clip' || job.guidanceScale === 1 ? 1 : 2
}

/**
 * Which of a preset's step layouts a job takes:
 * - 'guided': classifier-free guidance up to its mode's default (3 for text to image, 5 for
 *   inpainting), two rows per image per step;
 * - 'strong-guidance': classifier-free guidance above its mode's default, two rows per step;
 * - 'one-row': CLIP guidance, or classifier-free guidance at 1 (see baseRowsPerImage).
 */
export type PresetCase = 'guided' | 'strong-guidance' | 'one-row'

/**
 * The case of a job's preset. `mode` absent means text to image: the prompt panel's speed fields
 * serve both modes and take its case.
 */
export function presetCaseOf(job: {
  guidanceMode?: GuidanceMode | undefined
  guidanceScale: number
  mode?: GenerationMode | undefined
}): PresetCase {
  if (baseRowsPerImage(job) === 1) return 'one-row'
  return job.guidanceScale > generationDefaults.guidanceByMode[job.mode ?? 'text-to-image']
    ? 'strong-guidance'
    : 'guided'
}

/** The settings a preset decides; null = absent from the settings (the notebooks' behaviour). */
export interface PresetSettings {
  baseSampler: SamplerName | null
  baseRespacing: string
  guidanceCutoff: number | null
  guidanceReuseBelow: number | null
  upsampleSampler: SamplerName | null
  upsampleRespacing: string
  upsampleStart: number | null
  unetPrecision: UNetPrecision | null
}

export interface GenerationPreset {
  label: string
  /** The settings of the 'guided' case. */
  settings: PresetSettings
  /** What the preset sets differently in the other cases. */
  caseSettings?: Partial<Record<Exclude<PresetCase, 'guided'>, Partial<PresetSettings>>>
}

export const generationPresets: Record<PresetName, GenerationPreset> = {
  quality: {
    label: 'Quality',
    settings: {
      baseSampler: null,
      baseRespacing: generationDefaults.sampling.baseRespacing,
      guidanceCutoff: null,
      guidanceReuseBelow: null,
      upsampleSampler: null,
      upsampleRespacing: generationDefaults.sampling.upsampleRespacing,
      upsampleStart: null,
      unetPrecision: null,
    },
  },
  fast: {
    label: 'Fast',
    settings: {
      baseSampler: 'ancestral',
      baseRespacing: '3,17+2-500',
      guidanceCutoff: 0.2,
      guidanceReuseBelow: null,
      upsampleSampler: 'ddim',
      upsampleRespacing: '3',
      upsampleStart: 0.4,
      unetPrecision: 'int8-upsampler',
    },
    caseSettings: {
      // Strong guidance drew the two objects of a caption the same size with four fewer steps above
      // 0.5 T (native-models/eval/results-presets.txt, eighth revision).
      'strong-guidance': { baseRespacing: '3,21+2-500' },
      'one-row': { baseRespacing: '4,20+2-500' },
    },
  },
}

type PresetFields = keyof PresetSettings

/** What preset `name` sets for a job of case `presetCase`. */
export function presetSettings(name: PresetName, presetCase: PresetCase): PresetSettings {
  const preset: GenerationPreset = generationPresets[name]
  if (presetCase === 'guided') return preset.settings
  return { ...preset.settings, ...preset.caseSettings?.[presetCase] }
}

/** `settings` with the preset's fields for `presetCase` set (and its null fields removed). */
export function applyPreset<T extends Partial<Record<PresetFields, unknown>>>(
  settings: T,
  name: PresetName,
  presetCase: PresetCase,
): T {
  const result: Record<string, unknown> = { ...settings }
  for (const [field, value] of Object.entries(presetSettings(name, presetCase))) {
    if (value === null) delete result[field]
    else result[field] = value
  }
  return result as T
}

/** The preset whose fields for `presetCase` `settings` has exactly, or null for a custom one. */
export function presetOf(
  settings: Partial<Record<PresetFields, unknown>>,
  presetCase: PresetCase,
): PresetName | null {
  for (const name of presetNames) {
    const matches = Object.entries(presetSettings(name, presetCase)).every(([field, value]) => {
      const actual = settings[field as PresetFields]
      return value === null ? actual === undefined : actual === value
    })
    if (matches) return name
  }
  return null
}
