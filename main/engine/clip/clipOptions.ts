import { GlideError } from '../../../contract/errors'
import { zClipOptions, type ClipOptions } from '../../../contract/model'

/**
 * The noised CLIP's configuration (glide_text2im/clip/config.yaml's keys), its released values, a
 * reader for the YAML (or JSON) file that holds it, and the architecture it describes: every
 * state-dict tensor of the image and text encoders with its shape, in the order PyTorch lists them.
 */

/** The released config.yaml (the official noised CLIP, ViT-B/16-like at 64 px). */
export const releasedClipOptions: ClipOptions = {
  logit_scale: 100.0,
  beta_schedule: 'squaredcos_cap_v2',
  n_timesteps: 1000,
  image_size: 64,
  patch_size: 4,
  n_vocab: 65536,
  max_text_len: 77,
  n_embd: 512,
  n_head_state_text: 64,
  n_head_text: 8,
  n_xf_blocks_text: 12,
  n_head_state_image: 64,
  n_head_image: 12,
  n_xf_blocks_image: 12,
}

function invalid(message: string): GlideError {
  return new GlideError('INVALID_ARGUMENT', message)
}

function scalar(text: string): unknown {
  const value = text.trim()
  if (/^(['"]).*\1$/.test(value)) return value.slice(1, -1)
  if (/^(true|false)$/i.test(value)) return value.toLowerCase() === 'true'
  if (/^(null|~)$/.test(value)) return null
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value)) return Number(value)
  return value
}

/**
 * Reads a CLIP config: JSON (bare or under "clip_config"), or the flat `key: value` YAML that
 * glide-text2im's config.yaml is (comments and blank lines allowed; no nesting, no lists).
 */
export function parseClipConfigText(text: string, label: string): Record<string, unknown> {
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    let json: unknown
    try {
      json = JSON.parse(trimmed)
    } catch (error) {
      throw invalid(`${label} is not valid JSON: ${(error as Error).message}`)
    }
    const inner =
      json && typeof json === 'object' && 'clip_config' in json
        ? (json as { clip_config: unknown }).clip_config
        : json
    if (!inner || typeof inner !== 'object' || Array.isArray(inner)) {
      throw invalid(`${label} does not hold a CLIP config object.`)
    }
    return inner as Record<string, unknown>
  }
  const config: Record<string, unknown> = {}
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = rawLine.replace(/\s+#.*$/, '').replace(/^#.*$/, '')
    if (line.trim() === '' || line.trim() === '---') return
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$/.exec(line)
    if (!match || match[2] === undefined || match[2].trim() === '') {
      throw invalid(
        `${label} line ${index + 1} is not a "key: value" line: ${rawLine.slice(0, 80)}`,
      )
    }
    const key = match[1] ?? ''
    if (key in config) throw invalid(`${label} sets ${key} twice.`)
    config[key] = scalar(match[2])
  })
  return config
}

/** The released config with `overrides` merged over it, validated. */
export function clipOptionsFrom(overrides: Record<string, unknown> | undefined): ClipOptions {
  const parsed = zClipOptions.safeParse({ ...releasedClipOptions, ...overrides })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw invalid(
      `Invalid CLIP config: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? ''}`,
    )
  }
  return parsed.data
}

export type ClipEncoderKind = 'clip-image' | 'clip-text'

export interface ClipTransformer {
  /** n_head · n_head_state. */
  width: number
  heads: number
  blocks: number
  /** Tokens the transformer sees: 1 + patches² (image) or max_text_len (text). */
  context: number
}

export interface ClipArchitecture {
  kind: ClipEncoderKind
  options: ClipOptions
  transformer: ClipTransformer
  /** Patches per side (image only). */
  gridSize: number
  /** exp(logit_scale) as the official code computes it: exp of float32(log(logit_scale)). */
  similarityScale: number
}

export function clipArchitecture(kind: ClipEncoderKind, options: ClipOptions): ClipArchitecture {
  const image = kind === 'clip-image'
  if (image && options.image_size % options.patch_size !== 0) {
    throw invalid(
      `Unsupported CLIP config: image_size ${options.image_size} is not a multiple of patch_size ${options.patch_size}.`,
    )
  }
  const gridSize = options.image_size / options.patch_size
  const heads = image ? options.n_head_image : options.n_head_text
  const headWidth = image ? options.n_head_state_image : options.n_head_state_text
  return {
    kind,
    options,
    transformer: {
      width: heads * headWidth,
      heads,
      blocks: image ? options.n_xf_blocks_image : options.n_xf_blocks_text,
      context: image ? 1 + gridSize * gridSize : options.max_text_len,
    },
    gridSize,
    similarityScale: Math.fround(Math.exp(Math.fround(Math.log(options.logit_scale)))),
  }
}

export interface ClipTensor {
  name: string
  shape: number[]
}

/** Every tensor of the encoder's state dict, in order. */
export function clipExpectedTensors(architecture: ClipArchitecture): ClipTensor[] {
  const { options, transformer, gridSize } = architecture
  const w = transformer.width
  const tensors: ClipTensor[] = []
  const add = (name: string, shape: number[]): void => {
    tensors.push({ name, shape })
  }
  if (architecture.kind === 'clip-image') {
    add('blocks.input.w_t', [options.n_timesteps, w])
    add('blocks.input.patch_proj', [w, 3, options.patch_size, options.patch_size])
    add('blocks.input.w_pos', [1 + gridSize * gridSize, w])
    add('blocks.input.ln.g', [w])
    add('blocks.input.ln.b', [w])
  } else {
    add('blocks.input.w_voc', [options.n_vocab, w])
    add('blocks.input.w_pos', [options.max_text_len, w])
  }
  for (let block = 0; block < transformer.blocks; block++) {
    const attention = `blocks.block_${block}.f_attn`
    const mlp = `blocks.block_${block}.f_mlp`
    add(`${attention}.ln.g`, [w])
    add(`${attention}.ln.b`, [w])
    add(`${attention}.f_q.w`, [w, w])
    add(`${attention}.f_q.b`, [w])
    add(`${attention}.f_k.w`, [w, w])
    add(`${attention}.f_v.w`, [w, w])
    add(`${attention}.f_v.b`, [w])
    add(`${attention}.f_c.w`, [w, w])
    add(`${attention}.f_c.b`, [w])
    add(`${mlp}.ln.g`, [w])
    add(`${mlp}.ln.b`, [w])
    add(`${mlp}.f_1.w`, [4 * w, w])
    add(`${mlp}.f_1.b`, [4 * w])
    add(`${mlp}.f_2.w`, [w, 4 * w])
    add(`${mlp}.f_2.b`, [w])
  }
  add('blocks.output.ln.g', [w])
  add('blocks.output.ln.b', [w])
  add('blocks.output.f.w', [options.n_embd, w])
  return tensors
}
