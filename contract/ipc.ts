import { z } from 'zod'
import { documentChannels } from './documents'
import { zSerializedError, type SerializedError } from './errors'
import {
  zExecutionProviderName,
  zJobId,
  zJobInput,
  zJobProgress,
  zJobSummary,
  zModelId,
} from './jobs'
import { modelLimits, zModelImageSize, zModelKindName } from './model'
import { modelInstallChannels, modelInstallEvents } from './modelInstalls'
import { resultChannels, resultEvents } from './results'
import { zSettings, zSettingsPatch } from './settings'

/**
 * Every request channel and event between the renderer and main, declared once. Main's router,
 * the preload, the browser-mode bridge and the renderer are all typed and validated from here.
 * Channel names are `namespace.verb`; inputs are strict objects, so extra fields are refused.
 */

/** The model kinds, as model.json names them. */
export const zModelKind = zModelKindName

export const zModelSummary = z.strictObject({
  id: zModelId,
  name: z.string().max(modelLimits.nameChars),
  kind: zModelKind,
  /**
   * true for the released GLIDE (filtered) weights: the app downloaded the checkpoint from its
   * official list and recorded its SHA-256 in model.json (never decided by the id).
   */
  official: z.boolean(),
  /** The side in pixels of the images the model makes (its options' image_size). */
  imageSize: zModelImageSize,
  /**
   * Set when the folder is not a usable model, saying why; jobs never use such a model. Its other
   * fields are then what could be read: id and name from the folder's name where model.json says
   * nothing usable, kind 'base' and imageSize 64 where it names no valid kind or size.
   */
  problem: z.string().max(1000).optional(),
})
export type ModelSummary = z.infer<typeof zModelSummary>

const zEmpty = z.strictObject({})

export const zMenuCommand = z.enum([
  'open',
  'save',
  'saveAs',
  'export',
  'undo',
  'redo',
  'copyMerged',
  'zoomIn',
  'zoomOut',
  'zoomReset',
])
export type MenuCommand = z.infer<typeof zMenuCommand>

export const zHostState = z.enum(['starting', 'ready', 'restarting', 'stopped'])

export const requests = {
  'app.info': {
    input: zEmpty,
    output: z.strictObject({
      version: z.string(),
      mode: z.enum(['desktop', 'browser', 'cli']),
      platform: z.string(),
      hostState: zHostState,
      /** The execution provider the inference host runs on, null before it has started. */
      provider: zExecutionProviderName.nullable(),
    }),
  },
  /** A round trip through main's event loop; used to measure IPC latency. */
  'app.ping': {
    input: z.strictObject({ sentAt: z.number().finite() }),
    output: z.strictObject({ sentAt: z.number(), receivedAt: z.number() }),
  },
  'models.list': {
    input: zEmpty,
    output: z.strictObject({
      models: z.array(zModelSummary),
      /** What "Best installed" means for text to image now: the ids a job without a choice gets. */
      preferred: z.strictObject({ base: zModelId.nullable(), upsample: zModelId.nullable() }),
    }),
  },
  ...modelInstallChannels,
  'settings.get': { input: zEmpty, output: zSettings },
  'settings.update': { input: zSettingsPatch, output: zSettings },
  /** Desktop only: main asks for the models folder with its own dialog; unchanged if cancelled. */
  'settings.chooseModelsDir': { input: zEmpty, output: zSettings },
  'jobs.submit': { input: zJobInput, output: zJobSummary },
  'jobs.cancel': {
    input: z.strictObject({ jobId: zJobId }),
    output: z.strictObject({ cancelled: z.boolean() }),
  },
  'jobs.cancelAll': { input: zEmpty, output: z.strictObject({ cancelled: z.number().int() }) },
  'jobs.list': { input: zEmpty, output: z.strictObject({ jobs: z.array(zJobSummary) }) },
  ...resultChannels,
  ...documentChannels,
} as const satisfies Record<string, { input: z.ZodType; output: z.ZodType }>

export const events = {
  'job.progress': zJobProgress,
  /** A job changed state (queued, running, done, failed, cancelled); carries the whole summary. */
  'job.updated': zJobSummary,
  'menu.command': z.strictObject({ command: zMenuCommand }),
  'host.status': z.strictObject({
    state: zHostState,
    provider: zExecutionProviderName.nullable(),
  }),
  ...modelInstallEvents,
  ...resultEvents,
} as const satisfies Record<string, z.ZodType>

export type Requests = typeof requests
export type RequestChannel = keyof Requests
export type RequestInput<C extends RequestChannel> = z.input<Requests[C]['input']>
export type RequestOutput<C extends RequestChannel> = z.output<Requests[C]['output']>
export type Events = typeof events
export type EventName = keyof Events
export type EventPayload<E extends EventName> = z.output<Events[E]>

export const requestChannels = Object.keys(requests) as RequestChannel[]
export const eventNames = Object.keys(events) as EventName[]

export function isRequestChannel(value: unknown): value is RequestChannel {
  return typeof value === 'string' && Object.hasOwn(requests, value)
}

export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.hasOwn(events, value)
}

/** What every request resolves to: errors are values, so their code survives every transport. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: SerializedError }

export const zIpcResult = z.union([
  z.strictObject({ ok: z.literal(true), value: z.unknown() }),
  z.strictObject({ ok: z.literal(false), error: zSerializedError }),
])

/** The Electron IPC channel names the preload and main's router share. */
export const electronChannels = { invoke: 'glide:invoke', event: 'glide:event' } as const

/** The WebSocket frames of browser mode. */
export const zSocketClientFrame = z.strictObject({
  id: z.number().int().nonnegative(),
  channel: z.string().max(100),
  input: z.unknown(),
})
export type SocketClientFrame = z.infer<typeof zSocketClientFrame>
export type SocketServerFrame =
  | { type: 'result'; id: number; result: IpcResult<unknown> }
  | { type: 'event'; event: EventName; payload: unknown }

type NamespaceOf<C> = C extends `${infer N}.${string}` ? N : never
type RequestNamespace = NamespaceOf<RequestChannel>

/** `window.glide`: one function per request channel, grouped by namespace, plus event subscription. */
export type GlideApi = {
  readonly [N in RequestNamespace]: {
    readonly [C in RequestChannel as C extends `${N}.${infer V}` ? V : never]: (
      input: RequestInput<C>,
    ) => Promise<IpcResult<RequestOutput<C>>>
  }
} & {
  readonly subscribe: <E extends EventName>(
    event: E,
    listener: (payload: EventPayload<E>) => void,
  ) => () => void
}

export type Invoke = (channel: RequestChannel, input: unknown) => Promise<IpcResult<unknown>>
export type Subscribe = (event: EventName, listener: (payload: unknown) => void) => () => void

/**
 * Builds the `window.glide` object from the contract over any transport (Electron IPC in the
 * preload, a WebSocket in browser mode). Event names outside the contract are refused.
 */
export function createGlideApi(invoke: Invoke, subscribe: Subscribe): GlideApi {
  const api: Record<string, Record<string, (input: unknown) => Promise<IpcResult<unknown>>>> = {}
  for (const channel of requestChannels) {
    const [namespace, verb] = channel.split('.') as [string, string]
    api[namespace] ??= {}
    api[namespace][verb] = (input: unknown) => invoke(channel, input)
  }
  const guardedSubscribe: Subscribe = (event, listener) => {
    if (!isEventName(event)) throw new Error(`unknown event ${String(event)}`)
    return subscribe(event, listener)
  }
  return { ...api, subscribe: guardedSubscribe } as unknown as GlideApi
}
