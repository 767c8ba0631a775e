import { z } from 'zod'
import { generationDefaults, zSamplerName, zSamplingSettings } from './generation'
import { zExecutionProviderName } from './jobs'

/** "auto" picks the best provider the platform offers and falls back to CPU. */
export const zExecutionProviderChoice = z.union([z.literal('auto'), zExecutionProviderName])
export type ExecutionProviderChoice = z.infer<typeof zExecutionProviderChoice>

/** The prompt panel's starting values: what the user used last (limits from contract/generation). */
export const zGenerationDefaults = zSamplingSettings
  .pick({
    guidanceScale: true,
    baseRespacing: true,
    upsampleRespacing: true,
    upsampleTemperature: true,
    batchSize: true,
  })
  .extend({
    /**
     * The speed settings used last; null = absent (the notebooks', as Quality leaves them), so a
     * patch can clear them (the store merges patches over what it holds).
     */
    baseSampler: zSamplerName.nullable().optional(),
    upsampleSampler: zSamplerName.nullable().optional(),
    guidanceCutoff: zSamplingSettings.shape.guidanceCutoff.unwrap().nullable().optional(),
    guidanceReuseBelow: zSamplingSettings.shape.guidanceReuseBelow.unwrap().nullable().optional(),
    upsampleStart: zSamplingSettings.shape.upsampleStart.unwrap().nullable().optional(),
    unetPrecision: zSamplingSettings.shape.unetPrecision.unwrap().nullable().optional(),
  })
export type GenerationDefaults = z.infer<typeof zGenerationDefaults>

/** The editor's tool options as last set: the brush (mask, eraser and Paint) and the Paint colour. */
export const zToolSettings = z.strictObject({
  brushSize: z.number().int().min(1).max(1024),
  brushHardness: z.number().min(0).max(1),
  /** "#rrggbb" */
  paintColour: z.string().regex(/^#[0-9a-f]{6}$/i),
})
export type ToolSettings = z.infer<typeof zToolSettings>

export const defaultToolSettings: ToolSettings = {
  brushSize: 64,
  brushHardness: 0.8,
  paintColour: '#000000',
}

export const zWindowBounds = z.strictObject({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().min(200).max(20000),
  height: z.number().int().min(200).max(20000),
  maximized: z.boolean(),
})
export type WindowBounds = z.infer<typeof zWindowBounds>

/** Persisted as JSON in the per-user config dir. Unknown or invalid files fall back to defaults. */
export const zSettings = z.strictObject({
  version: z.literal(1),
  /** null = the default models dir (GLIDE_STUDIO_MODELS_DIR or the per-user data dir). */
  modelsDir: z.string().max(4096).nullable(),
  executionProvider: zExecutionProviderChoice,
  defaults: zGenerationDefaults,
  /** Absent from files written before tools were remembered. */
  tools: zToolSettings.default(defaultToolSettings),
  windowBounds: zWindowBounds.nullable(),
})
export type Settings = z.infer<typeof zSettings>

/** What the renderer may change. Paths are not here: they come from main's own dialogs. */
export const zSettingsPatch = z.strictObject({
  executionProvider: zExecutionProviderChoice.optional(),
  defaults: zGenerationDefaults.partial().optional(),
  tools: zToolSettings.partial().optional(),
})
export type SettingsPatch = z.infer<typeof zSettingsPatch>

export const defaultSettings: Settings = {
  version: 1,
  modelsDir: null,
  executionProvider: 'auto',
  defaults: { ...generationDefaults.sampling },
  tools: defaultToolSettings,
  windowBounds: null,
}
