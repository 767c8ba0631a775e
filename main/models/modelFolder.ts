import { lstat, readdir, readFile, realpath } from 'node:fs/promises'
import { basename, join, sep } from 'node:path'
import type { z } from 'zod'
import { GlideError } from '../../contract/errors'
import type { ModelSummary } from '../../contract/ipc'
import { zModelId } from '../../contract/jobs'
import {
  manifestFileName,
  modelLimits,
  zModelImageSize,
  zModelKindName,
  zModelManifest,
  zModelName,
  type GlideOptionsManifest,
  type ModelManifest,
} from '../../contract/model'
import type { GlideOptions } from '../engine/glideOptions'
import { writeFileAtomic } from '../storage/atomicWrite'
import { isOfficialManifest } from './officialModels'

// The manifest's options and the engine's options must stay the same shape.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const optionsMatch: Same<GlideOptionsManifest, GlideOptions> = true
void optionsMatch

const maxManifestBytes = 1024 * 1024

/** A model folder whose manifest parsed and whose files all exist inside it. */
export interface ModelFolder {
  /** Absolute path of the folder, `<models dir>/<id>`. */
  readonly dir: string
  readonly manifest: ModelManifest
  /** Absolute path of each file the manifest lists, by role. */
  readonly files: Readonly<Record<string, string>>
}

export interface SkippedFolder {
  readonly dir: string
  readonly reason: string
  /** What its model.json says, where that much can be read, to list the folder by. */
  readonly declared: {
    readonly name?: string
    readonly kind?: ModelSummary['kind']
    readonly imageSize?: number
  }
}

export interface ModelList {
  /** Valid folders, sorted by id. */
  readonly models: ModelFolder[]
  /** Folders that are not valid models, with why, so the UI can say so. */
  readonly skipped: SkippedFolder[]
}

/** Whether anything (a file, a folder, a link: never followed) is at `path`. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch {
    return false
  }
}

/** The folder of model `id` inside `modelsDir`; refuses ids that are not plain names. */
export function modelFolderPath(modelsDir: string, id: string): string {
  if (!zModelId.safeParse(id).success) {
    throw new GlideError('INVALID_ARGUMENT', `"${id}" is not a model id.`)
  }
  return join(modelsDir, id)
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ')
}

/** Parses manifest JSON text; throws MODEL_INVALID saying what is wrong. */
export function parseManifest(text: string, label = manifestFileName): ModelManifest {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new GlideError('MODEL_INVALID', `${label} is not valid JSON: ${(error as Error).message}`)
  }
  const parsed = zModelManifest.safeParse(json)
  if (!parsed.success) {
    throw new GlideError(
      'MODEL_INVALID',
      `${label} is not a valid manifest: ${describeIssues(parsed.error)}`,
    )
  }
  return parsed.data
}

/**
 * Reads and validates a model folder: model.json parses, its id is the folder's name, and every
 * file it lists is a regular file (not a link) inside the folder. Throws MODEL_NOT_FOUND or
 * MODEL_INVALID.
 */
export async function readModelFolder(dir: string): Promise<ModelFolder> {
  const folderName = basename(dir)
  let folderReal: string
  try {
    const stats = await lstat(dir)
    if (!stats.isDirectory()) throw new GlideError('MODEL_INVALID', `${dir} is not a folder.`)
    folderReal = await realpath(dir)
  } catch (error) {
    if (error instanceof GlideError) throw error
    throw new GlideError('MODEL_NOT_FOUND', `No model folder at ${dir}.`, { cause: error })
  }

  const manifestPath = join(dir, manifestFileName)
  let text: string
  try {
    const stats = await lstat(manifestPath)
    if (!stats.isFile()) throw new Error('not a regular file')
    if (stats.size > maxManifestBytes) throw new Error('larger than 1 MiB')
    text = await readFile(manifestPath, 'utf8')
  } catch (error) {
    throw new GlideError(
      'MODEL_INVALID',
      `${folderName}: ${manifestFileName} cannot be read (${(error as Error).message}).`,
      { cause: error },
    )
  }
  const manifest = parseManifest(text, `${folderName}/${manifestFileName}`)
  if (manifest.id !== folderName) {
    throw new GlideError(
      'MODEL_INVALID',
      `${folderName}: the manifest's id "${manifest.id}" is not the folder's name.`,
    )
  }

  const files: Record<string, string> = {}
  for (const [role, name] of Object.entries(manifest.files)) {
    const path = join(dir, name)
    let problem: string | undefined
    try {
      const stats = await lstat(path)
      if (!stats.isFile()) problem = 'is not a regular file'
      else if (!(await realpath(path)).startsWith(folderReal + sep))
        problem = 'lies outside the folder'
    } catch {
      problem = 'is missing'
    }
    if (problem) {
      throw new GlideError('MODEL_INVALID', `${folderName}: ${role} file "${name}" ${problem}.`)
    }
    files[role] = path
  }
  return { dir, manifest, files }
}

/** The name, kind and image size an invalid folder's model.json states, each only if valid. */
async function readDeclared(dir: string): Promise<SkippedFolder['declared']> {
  let json: unknown
  try {
    const path = join(dir, manifestFileName)
    const stats = await lstat(path)
    if (!stats.isFile() || stats.size > maxManifestBytes) return {}
    json = JSON.parse(await readFile(path, 'utf8'))
  } catch {
    return {}
  }
  if (!json || typeof json !== 'object') return {}
  const manifest = json as { name?: unknown; kind?: unknown; options?: { image_size?: unknown } }
  const name = zModelName.safeParse(manifest.name)
  const kind = zModelKindName.safeParse(manifest.kind)
  const imageSize = zModelImageSize.safeParse(manifest.options?.image_size)
  return {
    ...(name.success ? { name: name.data } : {}),
    ...(kind.success ? { kind: kind.data } : {}),
    ...(imageSize.success ? { imageSize: imageSize.data } : {}),
  }
}

/** Lists the valid model folders in `modelsDir` (none if it does not exist), with skipped ones. */
export async function listModels(modelsDir: string): Promise<ModelList> {
  let names: string[]
  const skipped: SkippedFolder[] = []
  try {
    const entries = (await readdir(modelsDir, { withFileTypes: true }))
      .filter((entry) => !entry.name.startsWith('.'))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      if (entry.isSymbolicLink()) {
        skipped.push({
          dir: join(modelsDir, entry.name),
          reason: 'a symbolic link; model folders must be real folders inside the models directory',
          declared: {},
        })
      }
    }
    names = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { models: [], skipped: [] }
    throw new GlideError('IO_ERROR', `Cannot list ${modelsDir}: ${(error as Error).message}`, {
      cause: error,
    })
  }
  const models: ModelFolder[] = []
  for (const name of names) {
    const dir = join(modelsDir, name)
    if (name.includes('.tmp-')) {
      skipped.push({ dir, reason: 'an unfinished import', declared: {} })
      continue
    }
    try {
      models.push(await readModelFolder(dir))
    } catch (error) {
      skipped.push({
        dir,
        reason: error instanceof Error ? error.message : String(error),
        declared: await readDeclared(dir),
      })
    }
  }
  skipped.sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0))
  return { models, skipped }
}

/** A folder name as a model id: characters ids may not hold become "_". */
function idFromFolderName(name: string): string {
  const id = name
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^[^A-Za-z0-9]/, 'x')
    .slice(0, 128)
  return id || 'x'
}

/** What models.list shows of a valid folder. */
export function modelSummary(manifest: ModelManifest): ModelSummary {
  return {
    id: manifest.id,
    name: manifest.name,
    kind: manifest.kind,
    official: isOfficialManifest(manifest),
    imageSize: manifest.options.image_size,
  }
}

/** What models.list shows of a folder that is not a usable model: whatever it says, and why. */
export function unusableModelSummary(folder: SkippedFolder): ModelSummary {
  const folderName = basename(folder.dir)
  return {
    id: idFromFolderName(folderName),
    name: folder.declared.name ?? folderName.slice(0, modelLimits.nameChars),
    kind: folder.declared.kind ?? 'base',
    official: false,
    imageSize: folder.declared.imageSize ?? 64,
    problem: folder.reason.slice(0, 1000),
  }
}

/**
 * Every folder in `modelsDir` as models.list shows it: the valid models by id, then the folders
 * that are not usable, each with its problem. One odd folder never hides the others.
 */
export async function listModelSummaries(modelsDir: string): Promise<ModelSummary[]> {
  const { models, skipped } = await listModels(modelsDir)
  return [
    ...models.map(({ manifest }) => modelSummary(manifest)),
    ...skipped.map(unusableModelSummary),
  ]
}

/** Validates a manifest and writes it atomically as `<dir>/model.json`. */
export async function writeManifest(dir: string, manifest: ModelManifest): Promise<void> {
  const parsed = zModelManifest.safeParse(manifest)
  if (!parsed.success) {
    throw new GlideError(
      'MODEL_INVALID',
      `Refusing to write an invalid manifest: ${describeIssues(parsed.error)}`,
    )
  }
  await writeFileAtomic(join(dir, manifestFileName), `${JSON.stringify(parsed.data, null, 2)}\n`)
}
