import { z } from 'zod'
import { zClipOptions, zGlideOptions, type ClipOptions } from '../../contract/model'
import type { GlideOptions, ModelKind } from '../engine/glideOptions'
import officialModelsJson from './official_models.json'

/** Environment variable that replaces the download host of the official list (tests, mirrors). */
export const modelBaseUrlEnv = 'GLIDE_STUDIO_MODEL_BASE_URL'

export interface ExpectedTensor {
  readonly name: string
  readonly shape: readonly number[]
}

/** One released GLIDE (filtered) checkpoint. */
export interface OfficialModel {
  /** The key in official_models.json ("base", "clip/image-enc", ...). */
  readonly key: string
  /** The model folder id the app installs it as. */
  readonly id: string
  readonly name: string
  readonly kind: ModelKind
  readonly url: string
  /** The checkpoint's file name, e.g. "base.pt". */
  readonly fileName: string
  readonly params: number
  /** U-Net kinds: the options the official code builds it with. */
  readonly options?: GlideOptions
  /** CLIP kinds: the official clip_config. */
  readonly clipConfig?: ClipOptions
  /** Every state-dict key with its shape, in order. */
  readonly tensors: readonly ExpectedTensor[]
  readonly license: string
}

const zEntry = z.strictObject({
  url: z.url({ protocol: /^https$/ }),
  options: zGlideOptions.optional(),
  clip_config: zClipOptions.optional(),
  params: z.number().int().positive(),
  tensors: z.array(z.tuple([z.string(), z.array(z.number().int().nonnegative())])),
})

const catalogue: ReadonlyArray<{ key: string; id: string; kind: ModelKind; name: string }> = [
  { key: 'base', id: 'glide-base', kind: 'base', name: 'GLIDE (filtered) base, 64 px' },
  {
    key: 'upsample',
    id: 'glide-upsample',
    kind: 'upsample',
    name: 'GLIDE (filtered) upsampler, 256 px',
  },
  {
    key: 'base-inpaint',
    id: 'glide-base-inpaint',
    kind: 'base-inpaint',
    name: 'GLIDE (filtered) inpainting, 64 px',
  },
  {
    key: 'upsample-inpaint',
    id: 'glide-upsample-inpaint',
    kind: 'upsample-inpaint',
    name: 'GLIDE (filtered) inpainting upsampler, 256 px',
  },
  {
    key: 'clip/image-enc',
    id: 'glide-clip-image',
    kind: 'clip-image',
    name: 'Noised CLIP image encoder',
  },
  {
    key: 'clip/text-enc',
    id: 'glide-clip-text',
    kind: 'clip-text',
    name: 'Noised CLIP text encoder',
  },
]

const license = 'MIT (openai/glide-text2im, GLIDE (filtered) weights)'

let parsedEntries: Map<string, z.infer<typeof zEntry>> | undefined

function entries(): Map<string, z.infer<typeof zEntry>> {
  parsedEntries ??= new Map(Object.entries(z.record(z.string(), zEntry).parse(officialModelsJson)))
  return parsedEntries
}

/** Joins a file name onto the override base URL (a trailing slash is added if missing). */
function withBase(baseUrl: string, fileName: string): string {
  const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`)
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new Error(`${modelBaseUrlEnv} must be an http(s) URL`)
  }
  return new URL(encodeURIComponent(fileName), base).href
}

/**
 * The six released checkpoints (base, upsample, their inpainting twins, the noised CLIP image
 * and text encoders). With GLIDE_STUDIO_MODEL_BASE_URL set, URLs point at that host instead.
 */
export function officialModels(env: NodeJS.ProcessEnv = process.env): OfficialModel[] {
  const table = entries()
  const override = env[modelBaseUrlEnv]?.trim()
  return catalogue.map(({ key, id, kind, name }) => {
    const entry = table.get(key)
    if (!entry) throw new Error(`official_models.json lacks ${key}`)
    const fileName = decodeURIComponent(new URL(entry.url).pathname.split('/').pop() ?? '')
    return {
      key,
      id,
      name,
      kind,
      url: override ? withBase(override, fileName) : entry.url,
      fileName,
      params: entry.params,
      ...(entry.options ? { options: entry.options } : {}),
      ...(entry.clip_config ? { clipConfig: entry.clip_config } : {}),
      tensors: entry.tensors.map(([tensorName, shape]) => ({ name: tensorName, shape })),
      license,
    }
  })
}

/** The official checkpoint of a kind. */
export function officialModel(
  kind: ModelKind,
  env: NodeJS.ProcessEnv = process.env,
): OfficialModel {
  const model = officialModels(env).find((candidate) => candidate.kind === kind)
  if (!model) throw new Error(`no official model of kind ${kind}`)
  return model
}
