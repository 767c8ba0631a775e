import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import sharp, { type Sharp } from 'sharp'
import { z } from 'zod'
import { GlideError } from '../../contract/errors'
import {
  zJobId,
  zJobKind,
  zModelId,
  zSamplingSettings,
  type JobImage,
  type JobSummary,
} from '../../contract/jobs'
import {
  maxListedResults,
  promptWords,
  resultThumbnailSide,
  type ResultEntry,
} from '../../contract/results'
import { bytesOf, encodePng } from '../documents/imageCodec'
import type { Emit } from '../ipc/services'
import { pngDimensions } from '../documents/pixelBudget'
import { addPngTextChunks, readPngTextChunks } from '../documents/pngText'
import { isTempFileName, removeStaleTempFiles, writeFileAtomic } from '../storage/atomicWrite'

/**
 * The Gallery's store: each finished job's images as PNG files in one folder, newest first.
 * A file is an ordinary PNG with the prompt, seed and settings as JSON in its `parameters` text
 * chunk, so the folder is also readable without the app. Nothing is ever deleted but on request.
 */

/** The part of a result that its file's `parameters` chunk holds. */
const zStoredResult = z.object({
  software: z.literal('Glide Studio'),
  jobId: zJobId,
  index: z.number().int().nonnegative(),
  count: z.number().int().positive(),
  kind: zJobKind,
  prompt: z.string(),
  seed: z.number(),
  settings: zSamplingSettings,
  modelIds: z.array(zModelId),
  finishedAt: z.number(),
})
type StoredResult = z.infer<typeof zStoredResult>

/** Results are the model's output (at most 256² today); a larger file is not one of ours. */
const maxResultSide = 1024
const maxResultFileBytes = 16 * 1024 * 1024
const readOptions = { limitInputPixels: maxResultSide * maxResultSide, failOn: 'error' } as const
/** Our files start with the moment they were made: 2026-12-07-110512-… */
const resultNamePattern = /^\d{4}-\d{2}-\d{2}-\d{6}-[A-Za-z0-9-]*\.png$/

interface Kept {
  entry: ResultEntry
  /** The pixels of a result that could not be written (kept for the session only). */
  unsaved: JobImage | null
}

export interface ResultHistoryOptions {
  directory: string
  onAdded?(results: ResultEntry[]): void
  onRemoved?(ids: string[]): void
  /** How many results are listed (default {@link maxListedResults}). */
  maxListed?: number
}

export class ResultHistory {
  private kept: Kept[] = []
  private total = 0
  private loading: Promise<void> | null = null

  constructor(private readonly options: ResultHistoryOptions) {}

  /** The app's store (desktop and browser mode): `directory`, its changes sent as events. */
  static announcing(directory: string, emit: Emit): ResultHistory {
    return new ResultHistory({
      directory,
      onAdded: (results) => emit('results.added', { results }),
      onRemoved: (ids) => emit('results.removed', { ids }),
    })
  }

  /** The newest results first (at most maxListed) and how many the folder holds. */
  async list(): Promise<{ results: ResultEntry[]; total: number; folder: string }> {
    await this.load()
    return {
      results: this.kept.map((kept) => kept.entry),
      total: this.total,
      folder: this.options.directory,
    }
  }

  /**
   * Keeps a finished job's images. A write that fails (full disk, no permission) keeps the
   * result for this session and says why in `notKept`; it never fails the job.
   */
  async add(job: JobSummary): Promise<ResultEntry[]> {
    const images = job.result?.images ?? []
    if (job.state !== 'done' || !job.result || images.length === 0) return []
    await this.load()
    // A job is kept once, however often its summary is reported.
    if (this.kept.some((kept) => kept.entry.jobId === job.id)) return []
    const finishedAt = job.finishedAt ?? Date.now()
    const added: Kept[] = []
    let folderProblem: string | null = null
    try {
      await mkdir(this.options.directory, { recursive: true })
    } catch (error) {
      folderProblem = describeWriteFailure(this.options.directory, error)
    }
    for (const [index, image] of images.entries()) {
      const stored: StoredResult = {
        software: 'Glide Studio',
        jobId: job.id,
        index,
        count: images.length,
        kind: job.kind,
        prompt: job.settings.prompt,
        seed: job.settings.seed,
        settings: job.settings,
        modelIds: job.result.modelIds,
        finishedAt,
      }
      const id = this.freeId(resultStem(stored))
      let notKept = folderProblem
      if (notKept === null) {
        try {
          const png = await encodePng(image.rgba, image.width, image.height, 4)
          const withText = addPngTextChunks(png, { parameters: JSON.stringify(stored) })
          await writeFileAtomic(join(this.options.directory, `${id}.png`), withText)
        } catch (error) {
          notKept = describeWriteFailure(this.options.directory, error)
        }
      }
      const entry = entryOf(
        id,
        stored,
        image.width,
        image.height,
        await thumbnailOf(image),
        notKept,
      )
      added.push({ entry, unsaved: notKept === null ? null : image })
      if (notKept === null) this.total += 1
    }
    const maxListed = this.options.maxListed ?? maxListedResults
    this.kept = [...added, ...this.kept].slice(0, maxListed)
    const entries = added.map((kept) => kept.entry)
    this.options.onAdded?.(entries)
    return entries
  }

  /** A result's pixels and its PNG file, as kept. */
  async read(id: string): Promise<{ image: JobImage; png: Uint8Array<ArrayBuffer> }> {
    await this.load()
    const kept = this.kept.find((candidate) => candidate.entry.id === id)
    if (!kept) throw new GlideError('INVALID_ARGUMENT', 'That result is no longer in the Gallery.')
    if (kept.unsaved) {
      const { rgba, width, height } = kept.unsaved
      return { image: kept.unsaved, png: new Uint8Array(await encodePng(rgba, width, height, 4)) }
    }
    const file = join(this.options.directory, `${id}.png`)
    let png: Uint8Array<ArrayBuffer>
    try {
      png = bytesOf(await readFile(file))
    } catch (error) {
      throw new GlideError('IO_ERROR', `The result's file ${file} could not be read.`, {
        cause: error,
      })
    }
    const image = await decodeResult(png)
    if (!image) throw new GlideError('IMAGE_INVALID', `${file} is no longer a result's PNG.`)
    return { image, png }
  }

  /** Deletes results and their files; returns how many were found. */
  async remove(ids: readonly string[]): Promise<number> {
    await this.load()
    const wanted = new Set(ids)
    const removed: string[] = []
    for (const kept of this.kept.filter((candidate) => wanted.has(candidate.entry.id))) {
      if (!kept.unsaved) {
        await rm(join(this.options.directory, `${kept.entry.id}.png`), { force: true })
        this.total = Math.max(0, this.total - 1)
      }
      removed.push(kept.entry.id)
    }
    const gone = new Set(removed)
    this.kept = this.kept.filter((kept) => !gone.has(kept.entry.id))
    if (removed.length > 0) this.options.onRemoved?.(removed)
    return removed.length
  }

  private load(): Promise<void> {
    this.loading ??= this.readFolder()
    return this.loading
  }

  /** The newest files first, up to maxListed readable ones; files that are not ours are passed over. */
  private async readFolder(): Promise<void> {
    const directory = this.options.directory
    let names: string[]
    try {
      await removeStaleTempFiles(directory)
      names = await readdir(directory)
    } catch {
      return
    }
    const ours = names.filter((name) => resultNamePattern.test(name) && !isTempFileName(name))
    ours.sort().reverse()
    this.total = ours.length
    const maxListed = this.options.maxListed ?? maxListedResults
    const loaded: Kept[] = []
    for (const name of ours) {
      if (loaded.length >= maxListed) break
      const entry = await readEntry(directory, name)
      if (entry) loaded.push({ entry, unsaved: null })
    }
    // Newest job first; a batch's images in their order.
    loaded.sort((a, b) => b.entry.finishedAt - a.entry.finishedAt || a.entry.index - b.entry.index)
    this.kept = [...this.kept, ...loaded]
  }

  /** `stem`, or `stem-2`, `stem-3`… when a result of that name exists already. */
  private freeId(stem: string): string {
    const taken = (id: string) =>
      this.kept.some((kept) => kept.entry.id === id) ||
      existsSync(join(this.options.directory, `${id}.png`))
    let id = stem
    for (let suffix = 2; taken(id); suffix++) id = `${stem}-${suffix}`
    return id
  }
}

/** `2026-12-07-110512-a-red-boat-4242-1`: when, the prompt's first words, the seed, which image. */
export function resultStem(
  stored: Pick<StoredResult, 'finishedAt' | 'prompt' | 'seed' | 'index'>,
): string {
  const at = new Date(stored.finishedAt)
  const two = (value: number) => String(value).padStart(2, '0')
  const stamp =
    `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}-` +
    `${two(at.getHours())}${two(at.getMinutes())}${two(at.getSeconds())}`
  const words = promptWords(stored.prompt, 60).replace(/-$/, '')
  return [stamp, words || 'untitled', String(stored.seed), String(stored.index + 1)].join('-')
}

function entryOf(
  id: string,
  stored: StoredResult,
  width: number,
  height: number,
  thumbnail: JobImage,
  notKept: string | null,
): ResultEntry {
  return {
    id,
    jobId: stored.jobId,
    index: stored.index,
    count: stored.count,
    kind: stored.kind,
    settings: stored.settings,
    modelIds: stored.modelIds,
    finishedAt: stored.finishedAt,
    width,
    height,
    thumbnail,
    notKept,
  }
}

async function readEntry(directory: string, name: string): Promise<ResultEntry | null> {
  try {
    const file = join(directory, name)
    if ((await stat(file)).size > maxResultFileBytes) return null
    const png = bytesOf(await readFile(file))
    const stored = storedResultOf(png)
    const size = pngSize(png)
    if (!stored || !size) return null
    const thumbnail = await thumbnailFromPng(png)
    return entryOf(name.slice(0, -'.png'.length), stored, size.width, size.height, thumbnail, null)
  } catch {
    return null
  }
}

function storedResultOf(png: Uint8Array): StoredResult | null {
  const text = readPngTextChunks(png)['parameters']
  if (text === undefined) return null
  try {
    const parsed = zStoredResult.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

/** The size IHDR states, checked before anything is decoded; null when not a result's size. */
function pngSize(png: Uint8Array): { width: number; height: number } | null {
  const size = pngDimensions(png)
  const fits = (side: number) => side >= 1 && side <= maxResultSide
  return size && fits(size.width) && fits(size.height) ? size : null
}

/** A result's RGBA pixels, or null when the file is not one of ours. */
async function decodeResult(png: Uint8Array): Promise<JobImage | null> {
  if (!storedResultOf(png) || !pngSize(png)) return null
  const { data, info } = await sharp(png, readOptions)
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
  return { width: info.width, height: info.height, rgba: bytesOf(data) }
}

async function thumbnailOf(image: JobImage): Promise<JobImage> {
  const { rgba, width, height } = image
  return thumbnailWith(sharp(rgba, { raw: { width, height, channels: 4 } }))
}

function thumbnailFromPng(png: Uint8Array): Promise<JobImage> {
  return thumbnailWith(sharp(png, readOptions))
}

async function thumbnailWith(pipeline: Sharp): Promise<JobImage> {
  const { data, info } = await pipeline
    .resize({
      width: resultThumbnailSide,
      height: resultThumbnailSide,
      fit: 'inside',
      withoutEnlargement: true,
    })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
  return { width: info.width, height: info.height, rgba: bytesOf(data) }
}

function describeWriteFailure(directory: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  const why =
    code === 'ENOSPC'
      ? 'the disk is full'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? 'it is not writable'
        : (error as Error).message
  return `Not kept after this session: ${directory} could not be written (${why}).`
}
