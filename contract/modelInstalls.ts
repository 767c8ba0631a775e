import { z } from 'zod'
import { zSerializedError } from './errors'
import { zModelId } from './jobs'
import { zModelKindName } from './model'

/**
 * Installing the released GLIDE checkpoints from the app (the Models dialog): what main offers,
 * the requests that start and stop an install, and the progress it reports. One install runs at
 * a time; the others wait in the order they were asked for.
 */

/** A key of the official list ("base", "clip/image-enc", ...). */
export const zOfficialModelKey = z.string().min(1).max(64)

export const installStages = [
  'queued',
  'downloading',
  'checking',
  'hashing',
  'converting',
  'finishing',
  'done',
  'failed',
  'cancelled',
] as const
export const zInstallStage = z.enum(installStages)
export type InstallStage = z.infer<typeof zInstallStage>

/** Stages after which nothing more happens to that install. */
export const finishedInstallStages: ReadonlySet<InstallStage> = new Set([
  'done',
  'failed',
  'cancelled',
])

export const zInstallProgress = z.strictObject({
  key: zOfficialModelKey,
  stage: zInstallStage,
  /** Bytes of the checkpoint on disk so far (a resumed download starts above 0). */
  receivedBytes: z.number().int().nonnegative(),
  /** The checkpoint's size once the server has said it; null before. */
  totalBytes: z.number().int().nonnegative().nullable(),
  /** Set when stage is 'failed'. */
  error: zSerializedError.optional(),
})
export type InstallProgress = z.infer<typeof zInstallProgress>

/** What a checkpoint is for, so the dialog can say which models a feature needs. */
export const zOfficialModelUse = z.enum(['text-to-image', 'inpainting', 'clip-guidance'])
export type OfficialModelUse = z.infer<typeof zOfficialModelUse>

export const zOfficialModelEntry = z.strictObject({
  key: zOfficialModelKey,
  /** The folder it installs as. */
  id: zModelId,
  name: z.string().max(200),
  kind: zModelKindName,
  use: zOfficialModelUse,
  /** About how large the download is (the checkpoint's float32 weights). */
  downloadBytes: z.number().int().positive(),
  /** A folder of that id exists in the models folder (usable or not: see models.list). */
  installed: z.boolean(),
  /** The latest install of this session, if any (running, waiting or ended). */
  install: zInstallProgress.nullable(),
})
export type OfficialModelEntry = z.infer<typeof zOfficialModelEntry>

export const zModelFolderUse = z.strictObject({
  id: zModelId,
  bytes: z.number().int().nonnegative(),
})
export type ModelFolderUse = z.infer<typeof zModelFolderUse>

export const modelInstallChannels = {
  /** The official checkpoints, whether each is installed, and where they go. */
  'models.official': {
    input: z.strictObject({}),
    output: z.strictObject({
      modelsDir: z.string(),
      models: z.array(zOfficialModelEntry),
      /** The model folders in the models folder (not the bundled ones), with their size on disk. */
      folders: z.array(zModelFolderUse),
    }),
  },
  /** Queues installs; keys already installed, running or waiting are passed over. */
  'models.install': {
    input: z.strictObject({ keys: z.array(zOfficialModelKey).min(1).max(16) }),
    output: z.strictObject({ queued: z.array(zOfficialModelKey) }),
  },
  /** Stops a running install (its partial download is kept for a resume) or drops a waiting one. */
  'models.cancelInstall': {
    input: z.strictObject({ key: zOfficialModelKey }),
    output: z.strictObject({ cancelled: z.boolean() }),
  },
  /**
   * Deletes a model folder from the models folder (never a bundled model). Refused while jobs are
   * queued or running, or while that model is being installed.
   */
  'models.remove': {
    input: z.strictObject({ id: zModelId }),
    output: z.strictObject({ freedBytes: z.number().int().nonnegative() }),
  },
} as const

export const modelInstallEvents = {
  /** An install changed stage or received more bytes (at most a few times a second). */
  'models.installProgress': zInstallProgress,
} as const
