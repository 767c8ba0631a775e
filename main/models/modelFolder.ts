import { lstat, readdir, readFile, realpath } from 'node:fs/promises'
import { basename, join, sep } from 'node:path'
import type { z } from 'zod'
import { GlideError } from '../../contract/errors'
import { zModelId } from '../../contract/jobs'
import {
  manifestFileName,
  zModelManifest,
  type GlideOptionsManifest,
  type ModelManifest,
} from '../../contract/model'
import type { GlideOptions } from '../engine/glideOptions'
import { writeFileAtomic } from '../storage/atomicWrite'

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
}

export interface ModelList {
  /** Valid folders, sorted by id. */
  readonly models: ModelFolder[]
  /** Folders that are not valid models, with why, so the UI can say so. */
  readonly skipped: SkippedFolder[]
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
      skipped.push({ dir, reason: 'an unfinished import' })
      continue
    }
    try {
      models.push(await readModelFolder(dir))
    } catch (error) {
      skipped.push({ dir, reason: error instanceof Error ? error.message : String(error) })
    }
  }
  skipped.sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0))
  return { models, skipped }
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
