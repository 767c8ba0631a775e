/**
 * The architecture options of a GLIDE model, with glide-text2im's option names
 * (glide_text2im/model_creation.py), and the official defaults for each kind.
 */
export type UNetKind = 'base' | 'upsample' | 'base-inpaint' | 'upsample-inpaint'
export type ModelKind = UNetKind | 'clip-image' | 'clip-text'
export type NoiseScheduleName = 'linear' | 'squaredcos_cap_v2'

export interface GlideOptions {
  image_size: number
  num_channels: number
  num_res_blocks: number
  /** Comma-separated multipliers, or "" for the official choice by image size. */
  channel_mult: string
  num_heads: number
  num_head_channels: number
  num_heads_upsample: number
  /** Comma-separated resolutions (in pixels) where attention blocks sit. */
  attention_resolutions: string
  dropout: number
  text_ctx: number
  xf_width: number
  xf_layers: number
  xf_heads: number
  xf_final_ln: boolean
  xf_padding: boolean
  diffusion_steps: number
  noise_schedule: NoiseScheduleName
  timestep_respacing: string
  use_scale_shift_norm: boolean
  resblock_updown: boolean
  use_fp16: boolean
  cache_text_emb: boolean
  inpaint: boolean
  super_res: boolean
}

const baseDefaults: GlideOptions = {
  image_size: 64,
  num_channels: 192,
  num_res_blocks: 3,
  channel_mult: '',
  num_heads: 1,
  num_head_channels: 64,
  num_heads_upsample: -1,
  attention_resolutions: '32,16,8',
  dropout: 0.1,
  text_ctx: 128,
  xf_width: 512,
  xf_layers: 16,
  xf_heads: 8,
  xf_final_ln: true,
  xf_padding: true,
  diffusion_steps: 1000,
  noise_schedule: 'squaredcos_cap_v2',
  timestep_respacing: '',
  use_scale_shift_norm: true,
  resblock_updown: true,
  use_fp16: true,
  cache_text_emb: false,
  inpaint: false,
  super_res: false,
}

const upsampleDefaults: GlideOptions = {
  ...baseDefaults,
  image_size: 256,
  num_res_blocks: 2,
  noise_schedule: 'linear',
  super_res: true,
}

/** The options the official code builds each released U-Net with. */
export function officialOptions(kind: UNetKind): GlideOptions {
  switch (kind) {
    case 'base':
      return { ...baseDefaults }
    case 'base-inpaint':
      return { ...baseDefaults, inpaint: true }
    case 'upsample':
      return { ...upsampleDefaults }
    case 'upsample-inpaint':
      return { ...upsampleDefaults, inpaint: true }
  }
}

export function isInpaintKind(kind: UNetKind): boolean {
  return kind === 'base-inpaint' || kind === 'upsample-inpaint'
}

export function isUpsampleKind(kind: UNetKind): boolean {
  return kind === 'upsample' || kind === 'upsample-inpaint'
}

/** The channel multipliers the official code derives when channel_mult is "". */
export function channelMultipliers(options: GlideOptions): number[] {
  if (options.channel_mult.trim() !== '') {
    return options.channel_mult.split(',').map((part) => Number.parseInt(part.trim(), 10))
  }
  switch (options.image_size) {
    case 256:
      return [1, 1, 2, 2, 4, 4]
    case 128:
      return [1, 1, 2, 3, 4]
    case 64:
      return [1, 2, 3, 4]
    default:
      throw new Error(`channel_mult must be given for image_size ${options.image_size}`)
  }
}
