import { z } from 'zod'
import { zModelId } from './jobs'

/**
 * model.json, the manifest of a model folder (`<models dir>/<id>/`), as DESIGN.md "Model folder"
 * describes it. The app loads only folders whose manifest parses here; every file the manifest
 * names is a plain file name inside the folder (never a path).
 */

export const modelFormat = 'glide-studio/model@1'
export const manifestFileName = 'model.json'

export const zUNetKind = z.enum(['base', 'upsample', 'base-inpaint', 'upsample-inpaint'])
export const zClipKind = z.enum(['clip-image', 'clip-text'])
export const zModelKindName = z.enum([...zUNetKind.options, ...zClipKind.options])
export const zNoiseSchedule = z.enum(['squaredcos_cap_v2', 'linear'])
export const zTokenizerName = z.enum(['gpt2-bpe', 'clip-bpe'])

/** A file name inside the model folder: no separators, no leading dot, nothing absolute. */
export const zModelFileName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'not a plain file name inside the model folder')
  .refine((name) => !name.includes('..'), 'not a plain file name inside the model folder')

export const zSha256 = z.string().regex(/^[0-9a-f]{64}$/, 'not a lowercase hex SHA-256')

const positiveInt = z.number().int().positive().max(1_000_000)

/**
 * What a model folder may declare, once: model.json is checked against these, and models.list
 * reports within them, so a folder outside them is listed as unusable instead of failing the list.
 */
export const modelLimits = {
  /** The side in pixels of the images a model makes (or, for CLIP, reads). */
  imageSize: { min: 8, max: 4096 },
  nameChars: 200,
} as const

export const zModelImageSize = z
  .number()
  .int('image_size must be a whole number')
  .min(modelLimits.imageSize.min, `image_size must be at least ${modelLimits.imageSize.min}`)
  .max(modelLimits.imageSize.max, `image_size must be at most ${modelLimits.imageSize.max}`)
export const zModelName = z.string().min(1).max(modelLimits.nameChars)

/** Comma-separated integers, or "" (channel_mult) for the official choice by image size. */
const intList = z.string().regex(/^(?:\d{1,5}(?:,\s*\d{1,5})*)?$/, 'not a comma-separated list')

/** glide-text2im's model_and_diffusion options for the U-Net kinds. */
export const zGlideOptions = z.strictObject({
  image_size: zModelImageSize,
  num_channels: positiveInt,
  num_res_blocks: positiveInt,
  channel_mult: intList,
  num_heads: positiveInt,
  num_head_channels: z.number().int().min(-1).max(1_000_000),
  num_heads_upsample: z.number().int().min(-1).max(1_000_000),
  attention_resolutions: intList,
  dropout: z.number().min(0).max(1),
  text_ctx: positiveInt,
  xf_width: positiveInt,
  xf_layers: z.number().int().min(0).max(1000),
  xf_heads: positiveInt,
  xf_final_ln: z.boolean(),
  xf_padding: z.boolean(),
  diffusion_steps: positiveInt,
  noise_schedule: zNoiseSchedule,
  timestep_respacing: z.string().max(64),
  use_scale_shift_norm: z.boolean(),
  resblock_updown: z.boolean(),
  use_fp16: z.boolean(),
  cache_text_emb: z.boolean(),
  inpaint: z.boolean(),
  super_res: z.boolean(),
})
export type GlideOptionsManifest = z.infer<typeof zGlideOptions>

/** The noised CLIP's clip_config (glide_text2im/clip/config.yaml). */
export const zClipOptions = z.strictObject({
  logit_scale: z.number().positive(),
  beta_schedule: zNoiseSchedule,
  n_timesteps: positiveInt,
  image_size: zModelImageSize,
  patch_size: positiveInt,
  n_vocab: positiveInt,
  max_text_len: positiveInt,
  n_embd: positiveInt,
  n_head_state_text: positiveInt,
  n_head_text: positiveInt,
  n_xf_blocks_text: positiveInt,
  n_head_state_image: positiveInt,
  n_head_image: positiveInt,
  n_xf_blocks_image: positiveInt,
})
export type ClipOptions = z.infer<typeof zClipOptions>

export const zDiffusion = z.strictObject({
  steps: positiveInt,
  noiseSchedule: zNoiseSchedule,
})

export const zModelSource = z.strictObject({
  /** The checkpoint's file name as the user had it (informational, never opened by the app). */
  checkpoint: z
    .string()
    .min(1)
    .max(255)
    .refine((name) => !/[/\\\0]/.test(name), 'a file name, not a path'),
  sha256: zSha256,
  /**
   * Written only when the app fetched the checkpoint from its list of released weights
   * (main/models/official_models.json): that entry's key and the URL the bytes came from. With
   * `sha256` (the hash of exactly those bytes) this is what makes a model "official"; a folder's
   * id or name never does.
   */
  fetchedFrom: z
    .strictObject({
      officialKey: z.string().min(1).max(64),
      url: z.string().min(1).max(2048),
    })
    .optional(),
})

const zFiles = z
  .record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'not a file role'), zModelFileName)
  .refine((files) => Object.keys(files).length <= 32, 'too many files')

const common = {
  format: z.literal(modelFormat),
  id: zModelId,
  name: zModelName,
  diffusion: zDiffusion,
  files: zFiles,
  source: zModelSource,
  license: z.string().min(1).max(20_000),
}

/** The file roles each kind must list in `files`. */
export const requiredFileRoles = {
  base: ['text_encoder', 'unet'],
  upsample: ['text_encoder', 'unet'],
  'base-inpaint': ['text_encoder', 'unet'],
  'upsample-inpaint': ['text_encoder', 'unet'],
  'clip-image': ['image_encoder', 'image_grad'],
  'clip-text': ['text_encoder'],
} as const satisfies Record<z.infer<typeof zModelKindName>, readonly string[]>

/**
 * Where a model is sampled differently from GLIDE's notebooks; absent for the official models.
 * `upsampleFromLowResAt` (upsamplers only): start from the bilinear upsample of low_res noised to
 * this original timestep, instead of from pure noise at the last one. GLIDE-mini's upsampler needs
 * it: it cannot set the image-wide colour itself (model card).
 */
export const zSamplingHints = z.strictObject({
  upsampleFromLowResAt: z.number().int().min(1).max(1_000_000).optional(),
})
export type SamplingHints = z.infer<typeof zSamplingHints>

/** What is wrong with sampling hints for a U-Net of `kind` with `diffusionSteps` steps, if anything. */
export function samplingHintsProblem(
  kind: z.infer<typeof zUNetKind>,
  diffusionSteps: number,
  sampling: SamplingHints | undefined,
): string | undefined {
  const startAt = sampling?.upsampleFromLowResAt
  if (startAt === undefined) return undefined
  if (kind !== 'upsample' && kind !== 'upsample-inpaint') {
    return 'only upsamplers start from a low-res image'
  }
  return startAt < diffusionSteps
    ? undefined
    : `must be below the ${diffusionSteps} diffusion steps`
}

const zUNetManifest = z.strictObject({
  ...common,
  kind: zUNetKind,
  options: zGlideOptions,
  tokenizer: z.literal('gpt2-bpe'),
  sampling: zSamplingHints.optional(),
})

const zClipManifest = z.strictObject({
  ...common,
  kind: zClipKind,
  options: zClipOptions,
  tokenizer: z.literal('clip-bpe'),
})

export const zModelManifest = z
  .discriminatedUnion('kind', [zUNetManifest, zClipManifest])
  .superRefine((manifest, context) => {
    for (const role of requiredFileRoles[manifest.kind]) {
      if (!(role in manifest.files)) {
        context.addIssue({
          code: 'custom',
          path: ['files', role],
          message: `a ${manifest.kind} model needs a "${role}" file`,
        })
      }
    }
    const names = Object.values(manifest.files)
    if (new Set(names).size !== names.length || names.includes(manifestFileName)) {
      context.addIssue({ code: 'custom', path: ['files'], message: 'files must be distinct' })
    }
    const diffusion = isUNetManifest(manifest)
      ? { steps: manifest.options.diffusion_steps, schedule: manifest.options.noise_schedule }
      : { steps: manifest.options.n_timesteps, schedule: manifest.options.beta_schedule }
    if (
      manifest.diffusion.steps !== diffusion.steps ||
      manifest.diffusion.noiseSchedule !== diffusion.schedule
    ) {
      context.addIssue({
        code: 'custom',
        path: ['diffusion'],
        message: 'diffusion disagrees with the step count and noise schedule in options',
      })
    }
    if (!isUNetManifest(manifest)) return
    const inpaint = manifest.kind === 'base-inpaint' || manifest.kind === 'upsample-inpaint'
    const upsample = manifest.kind === 'upsample' || manifest.kind === 'upsample-inpaint'
    if (manifest.options.inpaint !== inpaint || manifest.options.super_res !== upsample) {
      context.addIssue({
        code: 'custom',
        path: ['options'],
        message: `options.inpaint and options.super_res do not match kind ${manifest.kind}`,
      })
    }
    const samplingProblem = samplingHintsProblem(
      manifest.kind,
      manifest.options.diffusion_steps,
      manifest.sampling,
    )
    if (samplingProblem) {
      context.addIssue({
        code: 'custom',
        path: ['sampling', 'upsampleFromLowResAt'],
        message: samplingProblem,
      })
    }
  })

export type ModelManifest = z.infer<typeof zModelManifest>
export type UNetModelManifest = Extract<ModelManifest, { options: GlideOptionsManifest }>
export type ClipModelManifest = Extract<ModelManifest, { options: ClipOptions }>

/** True for the U-Net kinds (base, upsample and their inpainting twins). */
export function isUNetManifest(manifest: ModelManifest): manifest is UNetModelManifest {
  return zUNetKind.safeParse(manifest.kind).success
}
