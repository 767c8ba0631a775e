import type { z } from 'zod'
import type { DocumentChannel } from '../../contract/documents'
import { GlideError } from '../../contract/errors'
import { clipGuidanceScaleOfJob } from '../../contract/generation'
import type {
  EventName,
  EventPayload,
  ModelSummary,
  RequestChannel,
  RequestOutput,
  Requests,
} from '../../contract/ipc'
import type { JobImage, JobInput, JobResult, JobSummary } from '../../contract/jobs'
import type { InferenceHostClient } from '../inference/client/hostClient'
import type { HostImage, HostJob } from '../inference/protocol'
import { JobQueue, type JobRunner } from '../jobs/jobQueue'
import { chooseClipModels } from '../jobs/clipModelChoice'
import { chooseModels, type InstalledModel } from '../jobs/modelChoice'
import type { SettingsStore } from '../settings/settingsStore'

/**
 * The one implementation of every request channel, shared by the Electron router (main/ipc) and
 * the browser-mode WebSocket server (main/server). Inputs arrive already validated.
 */

export type Handler<C extends RequestChannel> = (
  input: z.output<Requests[C]['input']>,
) => Promise<RequestOutput<C>> | RequestOutput<C>
export type Handlers = { readonly [C in RequestChannel]: Handler<C> }
export type DocumentHandlers = { readonly [C in DocumentChannel]: Handler<C> }

export type Emit = <E extends EventName>(event: E, payload: EventPayload<E>) => void

export interface ModelRegistry {
  /** Installed models, user's models dir first, then bundled ones (GLIDE-mini). */
  list(): Promise<InstalledModel[]>
}

/** The Gallery's results, kept on disk (main/results/resultHistory.ts). */
export interface ResultStore {
  list(): Promise<RequestOutput<'results.list'>>
  add(job: JobSummary): Promise<unknown>
  read(id: string): Promise<RequestOutput<'results.read'>>
  remove(ids: readonly string[]): Promise<number>
}

/** Installs of the official checkpoints from the app (main/models/modelInstalls.ts). */
export interface OfficialModelInstalls {
  official(): Promise<RequestOutput<'models.official'>>
  install(keys: readonly string[]): Promise<string[]>
  cancel(key: string): boolean
  remove(id: string): Promise<number>
}

export interface ServicesOptions {
  mode: 'desktop' | 'browser' | 'cli'
  version: string
  settings: SettingsStore
  host: InferenceHostClient
  models: ModelRegistry
  /** Absent in the CLI, which has `models download`; the handlers then refuse. */
  installs?: OfficialModelInstalls
  /** Absent in the CLI, which writes its own files: the Gallery then lists nothing. */
  results?: ResultStore
  emit: Emit
  /** A native folder picker (desktop); absent in browser mode and the CLI. */
  chooseDirectory?(): Promise<string | null>
  /** Provided by main/documents; absent where documents are not wired (handlers then refuse). */
  documents?: DocumentHandlers
  previewIntervalMs?: number
}

export interface Services {
  readonly handlers: Handlers
  readonly queue: JobQueue<HostJob>
}

/** The job queue's runner over the inference host: RGBA bytes all the way to the page. */
export function hostJobRunner(host: InferenceHostClient): JobRunner<HostJob> {
  return {
    async run(jobId, job, onStep): Promise<JobResult> {
      const startedAt = Date.now()
      const result = await host.run(jobId, job, (step) =>
        onStep({ ...step, preview: step.preview ? jobImage(step.preview) : null }),
      )
      return {
        images: result.images.map(jobImage),
        provider: result.provider,
        modelIds: result.modelIds,
        elapsedMs: Date.now() - startedAt,
      }
    },
    cancel: (jobId) => host.cancel(jobId),
  }
}

function jobImage(image: HostImage): JobImage {
  return { width: image.width, height: image.height, rgba: new Uint8Array(image.data) }
}

function installsUnavailable(): never {
  throw new GlideError(
    'INVALID_ARGUMENT',
    'Install models here with "glide-studio models download".',
  )
}

function resultsUnavailable(): never {
  throw new GlideError('INVALID_ARGUMENT', 'Results are not kept here.')
}

function documentsUnavailable(): never {
  throw new GlideError('INVALID_ARGUMENT', 'Documents are not available here.')
}

/** The pixels of an inpaint or refine job as the host takes them. */
function imageInputs(input: JobInput): Pick<HostJob, 'image' | 'keepMask' | 'strength'> {
  if (input.kind === 'generate') return {}
  const image = { width: input.image.width, height: input.image.height, data: input.image.rgba }
  const keepMask = input.keepMask === undefined ? {} : { keepMask: input.keepMask }
  if (input.kind === 'inpaint') return { image, ...keepMask }
  return { image, ...keepMask, strength: input.strength }
}

const summary = ({ modelsDir: _dir, ...model }: InstalledModel): ModelSummary => model

export function createServices(options: ServicesOptions): Services {
  const { settings, host, models, emit } = options
  const queue = new JobQueue<HostJob>(hostJobRunner(host), {
    onUpdated: (job) => {
      emit('job.updated', job)
      // The store never throws for a write it cannot make (it says so in the entry).
      if (job.state === 'done') options.results?.add(job).catch(() => undefined)
    },
    onProgress: (progress) => emit('job.progress', progress),
  })
  const documents: DocumentHandlers = options.documents ?? {
    'documents.decodeImage': documentsUnavailable,
    'documents.openFile': documentsUnavailable,
    'documents.close': documentsUnavailable,
    'documents.openImage': documentsUnavailable,
    'documents.openProject': documentsUnavailable,
    'documents.saveProject': documentsUnavailable,
    'documents.export': documentsUnavailable,
    'documents.autosave': documentsUnavailable,
    'documents.listRecoveries': documentsUnavailable,
    'documents.restoreRecovery': documentsUnavailable,
    'documents.discardRecovery': documentsUnavailable,
  }

  const handlers: Handlers = {
    'app.info': () => ({
      version: options.version,
      mode: options.mode,
      platform: process.platform,
      hostState: host.state,
      provider: host.provider,
    }),
    'app.ping': ({ sentAt }) => ({ sentAt, receivedAt: Date.now() }),
    'models.list': async () => {
      const installed = await models.list()
      const preferred = (() => {
        try {
          const choice = chooseModels(installed, 'generate', {})
          return { base: choice.base.id, upsample: choice.upsample?.id ?? null }
        } catch {
          return { base: null, upsample: null }
        }
      })()
      return { models: installed.map(summary), preferred }
    },
    'models.official': () => options.installs?.official() ?? installsUnavailable(),
    'models.install': async ({ keys }) => ({
      queued: await (options.installs?.install(keys) ?? installsUnavailable()),
    }),
    'models.cancelInstall': ({ key }) => ({
      cancelled: options.installs?.cancel(key) ?? installsUnavailable(),
    }),
    'models.remove': async ({ id }) => {
      const installs = options.installs ?? installsUnavailable()
      // The host may have the model open for a job; removing it under the job would fail the job.
      if (queue.list().some((job) => job.state === 'queued' || job.state === 'running')) {
        throw new GlideError(
          'INVALID_ARGUMENT',
          'Models can be removed when no job is queued or running: wait or cancel them first.',
        )
      }
      if (!(await host.releaseModels())) {
        throw new GlideError('INVALID_ARGUMENT', 'The models are in use; try again in a moment.')
      }
      return { freedBytes: await installs.remove(id) }
    },
    'settings.get': () => settings.get(),
    'settings.update': (patch) => settings.applyPatch(patch),
    'settings.chooseModelsDir': async () => {
      if (!options.chooseDirectory) {
        throw new GlideError('INVALID_ARGUMENT', 'Choose the models folder with --models-dir here.')
      }
      const modelsDir = await options.chooseDirectory()
      return modelsDir === null ? settings.get() : settings.set({ modelsDir })
    },
    'jobs.submit': async (input) => {
      const installed = await models.list()
      const choice = chooseModels(installed, input.kind, input.settings)
      const location = (model: InstalledModel) => ({ modelsDir: model.modelsDir, id: model.id })
      const clipGuided = input.settings.guidanceMode === 'clip'
      if (clipGuided && input.kind === 'refine') {
        throw new GlideError(
          'INVALID_ARGUMENT',
          'CLIP guidance works for text to image and inpainting, not refine.',
        )
      }
      const clip =
        clipGuided && clipGuidanceScaleOfJob(input.settings) > 0
          ? chooseClipModels(installed, choice.base.imageSize)
          : null
      const job: HostJob = {
        kind: input.kind,
        settings: input.settings,
        baseModel: location(choice.base),
        upsampleModel: choice.upsample ? location(choice.upsample) : null,
        ...(clip ? { clipModels: { image: location(clip.image), text: location(clip.text) } } : {}),
        executionProvider: settings.get().executionProvider,
        previewIntervalMs: options.previewIntervalMs ?? 200,
        ...imageInputs(input),
      }
      return queue.submit({ kind: input.kind, settings: input.settings, payload: job })
    },
    'jobs.cancel': ({ jobId }) => ({ cancelled: queue.cancel(jobId) }),
    'jobs.cancelAll': () => ({ cancelled: queue.cancelAll() }),
    'jobs.list': () => ({ jobs: queue.list() }),
    'results.list': () => options.results?.list() ?? { results: [], total: 0, folder: null },
    'results.read': ({ id }) => options.results?.read(id) ?? resultsUnavailable(),
    'results.delete': async ({ ids }) => ({
      deleted: await (options.results?.remove(ids) ?? resultsUnavailable()),
    }),
    ...documents,
  }
  return { handlers, queue }
}
