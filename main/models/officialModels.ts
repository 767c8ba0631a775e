import { z } from 'zod'
import {
  zClipOptions,
  zGlideOptions,
  zSha256,
  type ClipOptions,
  type ModelManifest,
} from '../../contract/model'
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
  /** The file's SHA-256 where official_models.json records it; downloads are checked against it. */
  readonly sha256?: string
  /**
   * The most bytes the download may have: the recorded size where known, else what `params`
   * float32 values take plus 1 % and 16 MiB for the checkpoint's pickle and zip structure.
   */
  readonly maxBytes: number
}

const zEntry = z.strictObject({
  url: z.url({ protocol: /^https$/ }),
  options: zGlideOptions.optional(),
  clip_config: zClipOptions.optional(),
  params: z.number().int().positive(),
  /** The released file's size and hash, where known (none are recorded yet). */
  bytes: z.number().int().positive().optional(),
  sha256: zSha256.optional(),
  tensors: z.array(z.tuple([z.string(), z.array(z.number().int().nonnegative())])),
})

const structureAllowance = 16 * 1024 * 1024

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
      ...(entry.sha256 ? { sha256: entry.sha256 } : {}),
      maxBytes: entry.bytes ?? Math.ceil(entry.params * 4 * 1.01) + structureAllowance,
    }
  })
}

/** Where official downloads may come from: the official host, and the configured mirror if any. */
export function officialOrigins(env: NodeJS.ProcessEnv = process.env): string[] {
  const origins = new Set([...entries().values()].map((entry) => new URL(entry.url).origin))
  const override = env[modelBaseUrlEnv]?.trim()
  if (override) origins.add(new URL(withBase(override, 'x')).origin)
  return [...origins]
}

/**
 * The checks an official download runs under: redirects only to the official host or the
 * configured mirror, the size cap, and the recorded hash where there is one.
 */
export function officialDownloadChecks(
  model: OfficialModel,
  env: NodeJS.ProcessEnv = process.env,
): { maxBytes: number; redirectOrigins: string[]; expectedSha256?: string } {
  return {
    maxBytes: model.maxBytes,
    redirectOrigins: officialOrigins(env),
    ...(model.sha256 ? { expectedSha256: model.sha256 } : {}),
  }
}

/** What model.json's source.fetchedFrom records for a checkpoint fetched from `model.url`. */
export function fetchedFromRecord(model: OfficialModel): { officialKey: string; url: string } {
  return { officialKey: model.key, url: model.url }
}

/**
 * Official means: the checkpoint was fetched from the official list for this kind (recorded with
 * its SHA-256 in model.json's source), and matches the list's hash where the list has one; or,
 * for a manual import, its SHA-256 is one the list records. The folder's id or name never counts.
 */
export function isOfficialManifest(manifest: ModelManifest): boolean {
  const catalogue = officialModels({})
  const { fetchedFrom, sha256 } = manifest.source
  const listed = catalogue.find((model) => model.key === fetchedFrom?.officialKey)
  if (listed && listed.kind === manifest.kind) {
    return listed.sha256 === undefined || listed.sha256 === sha256
  }
  return catalogue.some((model) => model.kind === manifest.kind && model.sha256 === sha256)
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
