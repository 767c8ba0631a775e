import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { copyFile, mkdir, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { GlideError } from '../../contract/errors'
import { zModelId } from '../../contract/jobs'
import {
  modelFormat,
  samplingHintsProblem,
  zGlideOptions,
  zSamplingHints,
  zSha256,
  type ModelManifest,
  type SamplingHints,
} from '../../contract/model'
import { openTorchCheckpoint, type TorchCheckpoint } from '../engine/checkpoint/checkpoint'
import {
  clipArchitecture,
  clipOptionsFrom,
  type ClipEncoderKind as ClipKind,
} from '../engine/clip/clipOptions'
import { writeClipOnnx } from '../engine/onnx/clipGraphs'
import { defaultClipBpePath } from '../engine/tokenizer/clipTokenizer'
import {
  isInpaintKind,
  isUpsampleKind,
  officialOptions,
  type GlideOptions,
  type ModelKind,
  type UNetKind,
} from '../engine/glideOptions'
import { writeGlideOnnx } from '../engine/onnx/glideGraphs'
import { downloadFile } from './download'
import {
  modelFolderPath,
  pathExists,
  readModelFolder,
  writeManifest,
  type ModelFolder,
} from './modelFolder'
import { fetchedFromRecord, officialDownloadChecks, officialModel } from './officialModels'
import { syncDirectory } from '../storage/atomicWrite'

export type ImportStage = 'checking' | 'hashing' | 'converting' | 'finishing'

/** model.json's source.fetchedFrom: which official list entry, from which URL. */
type OfficialFetch = NonNullable<ModelManifest['source']['fetchedFrom']>

export interface ImportRequest {
  kind: UNetKind
  /** A .pt state dict written by torch.save. */
  checkpointPath: string
  /** Merged over the official options of the kind. */
  options?: Partial<GlideOptions>
  /** The model folder to create, `<models dir>/<id>`; must not exist yet. */
  outDir: string
  /** Defaults to the folder's name, which it must equal. */
  id?: string
  /** Display name; defaults to one made from the kind and checkpoint file name. */
  name?: string
  license?: string
  /** The checkpoint's SHA-256 if already known (e.g. from the download); computed otherwise. */
  sha256?: string
  /** Recorded in model.json's source when the app fetched the checkpoint from the official list. */
  fetchedFrom?: OfficialFetch
  /** Written to the manifest; see zSamplingHints. */
  sampling?: SamplingHints
  onStage?: (stage: ImportStage) => void
}

const unstatedLicense = "Not stated: check the license of the checkpoint's source."

function invalid(message: string): GlideError {
  return new GlideError('INVALID_ARGUMENT', message)
}

function mergeOptions(kind: UNetKind, overrides: Partial<GlideOptions> | undefined): GlideOptions {
  const parsed = zGlideOptions.safeParse({ ...officialOptions(kind), ...overrides })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw invalid(`Invalid options: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? ''}`)
  }
  const options = parsed.data
  if (options.inpaint !== isInpaintKind(kind) || options.super_res !== isUpsampleKind(kind)) {
    throw invalid(`options.inpaint and options.super_res contradict kind ${kind}.`)
  }
  return options
}

function checkSamplingHints(
  kind: UNetKind,
  options: GlideOptions,
  sampling: SamplingHints | undefined,
): void {
  if (sampling === undefined) return
  const parsed = zSamplingHints.safeParse(sampling)
  const problem = parsed.success
    ? samplingHintsProblem(kind, options.diffusion_steps, parsed.data)
    : parsed.error.issues[0]?.message
  if (problem) throw invalid(`Invalid sampling.upsampleFromLowResAt: ${problem}.`)
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  } catch (error) {
    throw new GlideError('IO_ERROR', `Cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    })
  }
  return hash.digest('hex')
}

/** File-system failures become DISK_FULL or IO_ERROR; everything else passes through. */
function asFileError(error: unknown): unknown {
  const errno = error as NodeJS.ErrnoException
  if (error instanceof GlideError || typeof errno?.syscall !== 'string') return error
  if (errno.code === 'ENOSPC' || errno.code === 'EDQUOT') {
    return new GlideError('DISK_FULL', 'The disk is full; the import was undone.', { cause: error })
  }
  return new GlideError('IO_ERROR', `The import failed: ${errno.message}`, { cause: error })
}

/** Gives each file the graph builder wrote a role: the graphs, and `<graph>_data` for their weights. */
function fileRoles(written: {
  textEncoder: string
  unet: string
  externalData: string[]
}): Record<string, string> {
  const graphs = { text_encoder: basename(written.textEncoder), unet: basename(written.unet) }
  const files: Record<string, string> = { ...graphs }
  written.externalData.forEach((path, index) => {
    const name = basename(path)
    const owner = Object.entries(graphs).find(([, graph]) => name.startsWith(`${graph}.`))
    const role = owner && !(`${owner[0]}_data` in files) ? `${owner[0]}_data` : `data_${index}`
    files[role] = name
  })
  return files
}

/** What importing one checkpoint kind writes, given the open checkpoint and the folder. */
type Conversion = (
  checkpoint: TorchCheckpoint,
  folder: string,
  sha256: string,
) => Promise<ModelManifest>

interface CommonImport {
  checkpointPath: string
  outDir: string
  id?: string
  sha256?: string
  /** Recorded in model.json's source when the app fetched the checkpoint from the official list. */
  fetchedFrom?: OfficialFetch
  onStage?: (stage: ImportStage) => void
  /** Aborting stops the import at the next tensor (GlideError CANCELLED); nothing is left behind. */
  signal?: AbortSignal
}

function cancelledImport(): GlideError {
  return new GlideError('CANCELLED', 'The import was cancelled; nothing was installed.')
}

/** The checkpoint, with every tensor read first checking the import has not been cancelled. */
function stoppable(checkpoint: TorchCheckpoint, signal: AbortSignal | undefined): TorchCheckpoint {
  if (!signal) return checkpoint
  return {
    names: () => checkpoint.names(),
    shape: (name) => checkpoint.shape(name),
    dtype: (name) => checkpoint.dtype(name),
    close: () => checkpoint.close(),
    read: (name) => (signal.aborted ? Promise.reject(cancelledImport()) : checkpoint.read(name)),
  }
}

function checkpointFileName(checkpointPath: string): string {
  return basename(checkpointPath)
    .replace(/[\\\0]/g, '_')
    .slice(0, 255)
}

/** Validates the id and hash, unless the request is refused first by `validate`. */
function checkCommon(request: CommonImport): string {
  const id = request.id ?? basename(request.outDir)
  if (!zModelId.safeParse(id).success) throw invalid(`"${id}" is not a valid model id.`)
  if (id !== basename(request.outDir))
    throw invalid(`The model id "${id}" must be the folder's name.`)
  if (request.sha256 !== undefined && !zSha256.safeParse(request.sha256).success) {
    throw invalid('sha256 must be 64 lowercase hex digits.')
  }
  return id
}

/**
 * Reads the .pt with the allowlist reader, lets `convert` write the graphs and return the manifest
 * into a temporary sibling folder, and renames it into place only when everything succeeded; on any
 * error the temporary folder is removed, so no partial model is ever left.
 */
async function importInto(request: CommonImport, convert: Conversion): Promise<ModelFolder> {
  const { checkpointPath, outDir } = request
  if (await pathExists(outDir))
    throw invalid(`${outDir} already exists; choose another id or remove it.`)
  const parent = dirname(outDir)
  const temporary = `${outDir}.tmp-${randomBytes(6).toString('hex')}`
  if (request.signal?.aborted) throw cancelledImport()
  request.onStage?.('checking')
  try {
    await mkdir(parent, { recursive: true })
    await mkdir(temporary)
  } catch (error) {
    throw new GlideError('IO_ERROR', `Cannot create ${temporary}: ${(error as Error).message}`, {
      cause: error,
    })
  }
  try {
    const checkpoint = stoppable(await openTorchCheckpoint(checkpointPath), request.signal)
    let manifest: ModelManifest
    try {
      let sha256 = request.sha256
      if (sha256 === undefined) {
        request.onStage?.('hashing')
        sha256 = await sha256OfFile(checkpointPath)
      }
      request.onStage?.('converting')
      manifest = await convert(checkpoint, temporary, sha256)
      if (request.fetchedFrom) {
        manifest = { ...manifest, source: { ...manifest.source, fetchedFrom: request.fetchedFrom } }
      }
    } finally {
      await checkpoint.close()
    }
    if (request.signal?.aborted) throw cancelledImport()
    request.onStage?.('finishing')
    await writeManifest(temporary, manifest)
    if (await pathExists(outDir))
      throw invalid(`${outDir} appeared while importing; nothing was changed.`)
    await rename(temporary, outDir)
  } catch (error) {
    await rm(temporary, { recursive: true, force: true })
    throw asFileError(error)
  }
  await syncDirectory(parent)
  try {
    return await readModelFolder(outDir)
  } catch (error) {
    await rm(outDir, { recursive: true, force: true })
    throw error
  }
}

/**
 * Turns a GLIDE U-Net checkpoint into a model folder at `outDir` (see importInto). Refuses an
 * `outDir` that already exists.
 */
export async function importCheckpoint(request: ImportRequest): Promise<ModelFolder> {
  const { kind, checkpointPath } = request
  const id = checkCommon(request)
  const options = mergeOptions(kind, request.options)
  checkSamplingHints(kind, options, request.sampling)
  const checkpointName = checkpointFileName(checkpointPath)
  return importInto(request, async (checkpoint, folder, sha256) => {
    const written = await writeGlideOnnx(kind, options, checkpoint, folder)
    return {
      format: modelFormat,
      id,
      name: (request.name ?? `${kind} model imported from ${checkpointName}`).slice(0, 200),
      kind,
      options,
      tokenizer: 'gpt2-bpe',
      diffusion: { steps: options.diffusion_steps, noiseSchedule: options.noise_schedule },
      files: fileRoles(written),
      source: { checkpoint: checkpointName, sha256 },
      license: request.license ?? unstatedLicense,
      ...(request.sampling ? { sampling: request.sampling } : {}),
    }
  })
}

export interface ClipImportRequest extends CommonImport {
  kind: ClipKind
  /** The CLIP config's keys (config.yaml), merged over the released config. */
  options?: Record<string, unknown>
  name?: string
  license?: string
}

/** The CLIP merge list shipped with the text encoder's folder, so the folder tokenizes by itself. */
export const clipBpeFileName = 'bpe_simple_vocab_16e6.txt.gz'
export const clipBpeLicenseFileName = 'bpe_simple_vocab_LICENSE.txt'

/**
 * Turns a noised-CLIP checkpoint (glide-text2im's image or text encoder) into a model folder:
 * image_encoder.onnx and image_grad.onnx (clip-image) or text_encoder.onnx with CLIP's merge list
 * and its licence notice (clip-text), and model.json. Same reader, checks and cleanup as U-Nets.
 */
export async function importClipCheckpoint(request: ClipImportRequest): Promise<ModelFolder> {
  const { kind, checkpointPath } = request
  const id = checkCommon(request)
  const options = clipOptionsFrom(request.options)
  clipArchitecture(kind, options)
  const checkpointName = checkpointFileName(checkpointPath)
  return importInto(request, async (checkpoint, folder, sha256) => {
    const written = await writeClipOnnx(kind, options, checkpoint, folder)
    const files: Record<string, string> = {}
    for (const [role, path] of Object.entries(written.graphs)) files[role] = basename(path)
    files[kind === 'clip-image' ? 'image_data' : 'text_data'] = basename(written.externalData)
    if (kind === 'clip-text') {
      await copyFile(defaultClipBpePath, join(folder, clipBpeFileName))
      await copyFile(
        join(dirname(defaultClipBpePath), 'LICENSE'),
        join(folder, clipBpeLicenseFileName),
      )
      files.bpe_merges = clipBpeFileName
      files.bpe_license = clipBpeLicenseFileName
    }
    return {
      format: modelFormat,
      id,
      name: (request.name ?? `${kind} model imported from ${checkpointName}`).slice(0, 200),
      kind,
      options,
      tokenizer: 'clip-bpe',
      diffusion: { steps: options.n_timesteps, noiseSchedule: options.beta_schedule },
      files,
      source: { checkpoint: checkpointName, sha256 },
      license: request.license ?? unstatedLicense,
    }
  })
}

export interface InstallOfficialRequest {
  kind: ModelKind
  modelsDir: string
  /**
   * Overrides merged over the official options, or for CLIP kinds over the official CLIP config
   * (for mirrors of modified weights and tests).
   */
  options?: Partial<GlideOptions> | Record<string, unknown>
  onProgress?: (received: number, total: number | undefined) => void
  onStage?: (stage: 'downloading' | ImportStage) => void
  signal?: AbortSignal
  /** Environment for the download base URL override; defaults to process.env. */
  env?: NodeJS.ProcessEnv
}

/**
 * Downloads a released GLIDE checkpoint (a U-Net or a noised-CLIP encoder) into `<modelsDir>/.downloads/` (resuming an earlier
 * partial download) and imports it as the model folder `<modelsDir>/<official id>`. The .pt is
 * deleted once the import has finished or failed; a failed or cancelled download, and a cancelled
 * import, keep it as a .part for a resume.
 */
export async function installOfficialModel(request: InstallOfficialRequest): Promise<ModelFolder> {
  const official = officialModel(request.kind, request.env)
  const outDir = modelFolderPath(request.modelsDir, official.id)
  if (await pathExists(outDir)) throw invalid(`${official.name} is already installed in ${outDir}.`)
  const downloads = join(request.modelsDir, '.downloads')
  try {
    await mkdir(downloads, { recursive: true })
  } catch (error) {
    throw asFileError(error)
  }
  const checkpointPath = join(downloads, official.fileName)
  request.onStage?.('downloading')
  const downloaded = await downloadFile(official.url, checkpointPath, {
    ...officialDownloadChecks(official, request.env),
    ...(request.onProgress ? { onProgress: request.onProgress } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
  })
  const common = {
    checkpointPath,
    outDir,
    name: official.name,
    license: official.license,
    sha256: downloaded.sha256,
    fetchedFrom: fetchedFromRecord(official),
    ...(request.onStage ? { onStage: request.onStage } : {}),
    ...(request.signal ? { signal: request.signal } : {}),
  }
  const kind = request.kind
  let keepForResume = false
  try {
    if (kind === 'clip-image' || kind === 'clip-text') {
      return await importClipCheckpoint({
        ...common,
        kind,
        options: { ...official.clipConfig, ...request.options },
      })
    }
    return await importCheckpoint({
      ...common,
      kind,
      options: { ...official.options, ...(request.options as Partial<GlideOptions>) },
    })
  } catch (error) {
    keepForResume = error instanceof GlideError && error.code === 'CANCELLED'
    throw error
  } finally {
    // A cancelled import keeps the whole download as the .part the next install resumes from (the
    // server then has nothing more to send); any other ending deletes it.
    if (keepForResume) {
      await rename(checkpointPath, `${checkpointPath}.part`).catch(() =>
        rm(checkpointPath, { force: true }),
      )
    } else {
      await rm(checkpointPath, { force: true })
    }
  }
}
