import { z } from 'zod'
import { zJobId, zJobImage, zJobKind, zModelId, zSamplingSettings } from './jobs'

/**
 * The Gallery: every result the app has made, kept on disk as PNG files (one per image, with
 * its prompt and settings inside) so that results outlive the session. Entries carry a
 * thumbnail; the full image is read when the user places or saves it.
 */

/** A result's name: its file's name without `.png`. */
export const zResultId = z
  .string()
  .min(1)
  .max(160)
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/)

/** Thumbnails fit this side (pixels): the Gallery draws them at about 70 CSS pixels. */
export const resultThumbnailSide = 128

/** At most this many results are listed (newest first); older ones stay in the folder. */
export const maxListedResults = 300

/** A prompt as file-name words: lower-case letters and digits joined by '-', at most `maxChars`. */
export function promptWords(prompt: string, maxChars: number): string {
  return prompt
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, maxChars)
}

export const zResultEntry = z.strictObject({
  id: zResultId,
  jobId: zJobId,
  /** Which image of its job (a batch has several) and how many the job made. */
  index: z.number().int().nonnegative(),
  count: z.number().int().positive(),
  kind: zJobKind,
  settings: zSamplingSettings,
  modelIds: z.array(zModelId),
  finishedAt: z.number(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  thumbnail: zJobImage,
  /** Why the result could not be written to the results folder (it is then kept for the session only). */
  notKept: z.string().max(1000).nullable(),
})
export type ResultEntry = z.infer<typeof zResultEntry>

export const resultChannels = {
  /** The newest results first, and where they are kept (null where nothing is kept). */
  'results.list': {
    input: z.strictObject({}),
    output: z.strictObject({
      results: z.array(zResultEntry),
      /** How many results the folder holds in all (more than listed when past the limit). */
      total: z.number().int().nonnegative(),
      folder: z.string().nullable(),
    }),
  },
  /** One result's pixels and its PNG file (prompt and settings in its text chunks). */
  'results.read': {
    input: z.strictObject({ id: zResultId }),
    output: z.strictObject({ image: zJobImage, png: z.instanceof(Uint8Array) }),
  },
  /** Deletes results, their files included. */
  'results.delete': {
    input: z.strictObject({ ids: z.array(zResultId).min(1).max(maxListedResults) }),
    output: z.strictObject({ deleted: z.number().int().nonnegative() }),
  },
} as const

export const resultEvents = {
  /** A finished job's images, newest first. */
  'results.added': z.strictObject({ results: z.array(zResultEntry) }),
  'results.removed': z.strictObject({ ids: z.array(zResultId) }),
} as const
