import { randomBytes } from 'node:crypto'
import type { Dirent } from 'node:fs'
import { lstat, mkdir, readdir, rename, rm, stat, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import { GlideError, serializeError } from '../../contract/errors'
import { zModelId } from '../../contract/jobs'
import type {
  InstallProgress,
  InstallStage,
  ModelFolderUse,
  OfficialModelEntry,
  OfficialModelUse,
} from '../../contract/modelInstalls'
import { installOfficialModel, type InstallOfficialRequest } from './importer'
import { modelFolderPath, pathExists } from './modelFolder'
import { officialModels, type OfficialModel } from './officialModels'

export interface ModelInstallsOptions {
  /** The user's models folder at the moment asked (the settings may change it between installs). */
  modelsDir: () => string
  /** Every change of stage, and received bytes at most once per `progressIntervalMs`. */
  onProgress: (progress: InstallProgress) => void
  /** Where the download base URL override is read (GLIDE_STUDIO_MODEL_BASE_URL); process.env. */
  env?: NodeJS.ProcessEnv
  /**
   * Test seam: options merged over a key's official options, so that a tiny checkpoint served by
   * a test installs under an official name. The app never sets it.
   */
  optionsFor?: (key: string) => InstallOfficialRequest['options'] | undefined
  progressIntervalMs?: number
  /** Free bytes on the disk holding `dir` (default: statfs); tests hand in a full disk. */
  freeBytes?: (dir: string) => Promise<number>
}

export interface OfficialModelsState {
  modelsDir: string
  models: OfficialModelEntry[]
  folders: ModelFolderUse[]
}

function useOf(model: OfficialModel): OfficialModelUse {
  if (model.kind === 'clip-image' || model.kind === 'clip-text') return 'clip-guidance'
  return model.kind === 'base' || model.kind === 'upsample' ? 'text-to-image' : 'inpainting'
}

async function diskFreeBytes(dir: string): Promise<number> {
  const disk = await statfs(dir)
  return disk.bavail * disk.bsize
}

function gigabytes(bytes: number): string {
  return `${(bytes / 1e9).toFixed(1)} GB`
}

/** Bytes of the files under `dir` (links are counted as links, never followed). */
async function diskUse(dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    total += entry.isDirectory() ? await diskUse(path) : (await lstat(path)).size
  }
  return total
}

/** What a download of the checkpoint weighs: its float32 weights. */
function weightsBytes(model: OfficialModel): number {
  return model.params * 4
}

/** The entries of `modelsDir`; none when it does not exist (yet) or cannot be read. */
async function entriesOf(modelsDir: string): Promise<Dirent[]> {
  try {
    return await readdir(modelsDir, { withFileTypes: true })
  } catch {
    return []
  }
}

/** The model folders among a models folder's entries (names that are model ids), with sizes. */
async function modelFolders(modelsDir: string, entries: Dirent[]): Promise<ModelFolderUse[]> {
  const folders: ModelFolderUse[] = []
  for (const entry of entries) {
    if (!entry.isDirectory() || !zModelId.safeParse(entry.name).success) continue
    try {
      folders.push({ id: entry.name, bytes: await diskUse(join(modelsDir, entry.name)) })
    } catch {
      // Unreadable: listed by models.list with its problem, not offered for removal here.
    }
  }
  return folders.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/**
 * The installs of official checkpoints asked for from the app: a queue run one at a time (each
 * download and conversion already uses the disk and a core to the full), each with its progress
 * and an abort. Installs write only into the models folder (see installOfficialModel).
 */
export class ModelInstalls {
  private readonly latest = new Map<string, InstallProgress>()
  private readonly waiting: string[] = []
  private running: { key: string; controller: AbortController } | null = null
  private lastBytesReport = 0
  private disposed = false

  constructor(private readonly options: ModelInstallsOptions) {}

  private catalogue(): OfficialModel[] {
    return officialModels(this.options.env)
  }

  async official(): Promise<OfficialModelsState> {
    const modelsDir = this.options.modelsDir()
    const entries = await entriesOf(modelsDir)
    const present = new Set(entries.map((entry) => entry.name))
    const models = this.catalogue().map((model) => ({
      key: model.key,
      id: model.id,
      name: model.name,
      kind: model.kind,
      use: useOf(model),
      downloadBytes: weightsBytes(model),
      installed: present.has(model.id),
      install: this.latest.get(model.key) ?? null,
    }))
    return { modelsDir, models, folders: await modelFolders(modelsDir, entries) }
  }

  /**
   * Deletes the model folder `id` of the models folder: renamed out of the way first (a dot name
   * the model list skips), so a deletion cut short never leaves a half model that looks usable.
   * The caller checks that no job is using it.
   */
  async remove(id: string): Promise<number> {
    const modelsDir = this.options.modelsDir()
    const folder = modelFolderPath(modelsDir, id)
    const installing = this.catalogue().find(
      (model) =>
        model.id === id && (this.running?.key === model.key || this.waiting.includes(model.key)),
    )
    if (installing) {
      throw new GlideError(
        'INVALID_ARGUMENT',
        `${installing.name} is being installed; cancel it first.`,
      )
    }
    let info
    try {
      info = await lstat(folder)
    } catch {
      throw new GlideError('MODEL_NOT_FOUND', `There is no model folder ${id} in ${modelsDir}.`)
    }
    if (!info.isDirectory()) {
      throw new GlideError('INVALID_ARGUMENT', `${folder} is not a model folder.`)
    }
    const bytes = await diskUse(folder)
    const doomed = join(modelsDir, `.removing-${id}-${randomBytes(4).toString('hex')}`)
    try {
      await rename(folder, doomed)
    } catch (error) {
      throw new GlideError(
        'IO_ERROR',
        `Cannot remove ${folder}: ${(error as Error).message}. Close what uses it and try again.`,
        { cause: error },
      )
    }
    await rm(doomed, { recursive: true, force: true }).catch(() => undefined)
    return bytes
  }

  /** Queues the keys not installed, running or waiting; returns those queued. */
  async install(keys: readonly string[]): Promise<string[]> {
    if (this.disposed) throw new GlideError('INVALID_ARGUMENT', 'The app is closing.')
    const catalogue = this.catalogue()
    const unknown = keys.filter((key) => !catalogue.some((model) => model.key === key))
    if (unknown.length > 0) {
      throw new GlideError(
        'INVALID_ARGUMENT',
        `No official model "${unknown[0]}"; one of: ${catalogue.map((model) => model.key).join(', ')}.`,
      )
    }
    const modelsDir = this.options.modelsDir()
    const queued: string[] = []
    for (const model of catalogue.filter((entry) => keys.includes(entry.key))) {
      if (this.running?.key === model.key || this.waiting.includes(model.key)) continue
      if (await pathExists(modelFolderPath(modelsDir, model.id))) continue
      this.waiting.push(model.key)
      queued.push(model.key)
      this.report({ key: model.key, stage: 'queued', receivedBytes: 0, totalBytes: null })
    }
    void this.drain()
    return queued
  }

  /** Stops the running install of `key` or drops it from the queue. */
  cancel(key: string): boolean {
    if (this.running?.key === key) {
      this.running.controller.abort()
      return true
    }
    const index = this.waiting.indexOf(key)
    if (index === -1) return false
    this.waiting.splice(index, 1)
    this.report({ key, stage: 'cancelled', receivedBytes: 0, totalBytes: null })
    return true
  }

  /** Stops everything; what was downloaded so far stays for a resume. */
  dispose(): void {
    this.disposed = true
    this.waiting.length = 0
    this.running?.controller.abort()
  }

  /**
   * Refuses to start when the disk cannot hold what is left to download plus the converted model
   * (about the checkpoint's size again; the checkpoint is deleted once converted), so a full disk
   * is said before hours of downloading rather than after.
   */
  private async checkFreeSpace(model: OfficialModel, modelsDir: string): Promise<void> {
    const weights = weightsBytes(model)
    let partial = 0
    try {
      await mkdir(modelsDir, { recursive: true })
      partial = (await stat(join(modelsDir, '.downloads', `${model.fileName}.part`))).size
    } catch {
      // No partial download (or no folder yet: installOfficialModel reports that).
    }
    const needed = 2 * weights - Math.min(partial, weights)
    let free: number
    try {
      free = await (this.options.freeBytes ?? diskFreeBytes)(modelsDir)
    } catch {
      return
    }
    if (free >= needed) return
    throw new GlideError(
      'DISK_FULL',
      `${model.name} needs about ${gigabytes(needed)} free in ${modelsDir} (the download and its conversion); ${gigabytes(free)} is free.`,
    )
  }

  private report(progress: InstallProgress): void {
    this.latest.set(progress.key, progress)
    this.options.onProgress(progress)
  }

  private async drain(): Promise<void> {
    if (this.running) return
    const key = this.waiting.shift()
    if (key === undefined || this.disposed) return
    const model = this.catalogue().find((entry) => entry.key === key)
    if (!model) return
    const controller = new AbortController()
    this.running = { key, controller }
    let stage: InstallStage = 'downloading'
    let receivedBytes = 0
    let totalBytes: number | null = null
    const now = () => this.report({ key, stage, receivedBytes, totalBytes })
    const overrides = this.options.optionsFor?.(key)
    const modelsDir = this.options.modelsDir()
    try {
      await this.checkFreeSpace(model, modelsDir)
      await installOfficialModel({
        kind: model.kind,
        modelsDir,
        signal: controller.signal,
        ...(this.options.env ? { env: this.options.env } : {}),
        ...(overrides ? { options: overrides } : {}),
        onStage: (next) => {
          stage = next
          now()
        },
        onProgress: (received, total) => {
          receivedBytes = received
          totalBytes = total ?? null
          const time = Date.now()
          if (time - this.lastBytesReport < (this.options.progressIntervalMs ?? 250)) return
          this.lastBytesReport = time
          now()
        },
      })
      stage = 'done'
      now()
    } catch (error) {
      const cancelled = error instanceof GlideError && error.code === 'CANCELLED'
      this.report({
        key,
        stage: cancelled ? 'cancelled' : 'failed',
        receivedBytes,
        totalBytes,
        ...(cancelled ? {} : { error: serializeError(error) }),
      })
    } finally {
      this.running = null
    }
    void this.drain()
  }
}
