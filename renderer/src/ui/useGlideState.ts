import { useCallback, useEffect, useMemo, useState } from 'react'
import type {
  ExecutionProviderName,
  JobImage,
  JobProgress,
  JobSummary,
} from '../../../contract/jobs'
import type { EventPayload, GlideApi, ModelSummary, RequestOutput } from '../../../contract/ipc'
import type { Settings } from '../../../contract/settings'
import { unwrap } from '../bridge'

type HostState = EventPayload<'host.status'>['state']
/** The models a text-to-image job gets when none is chosen ("Best installed"). */
export type PreferredModels = RequestOutput<'models.list'>['preferred']
const noPreferredModels: PreferredModels = { base: null, upsample: null }

export interface JobView {
  summary: JobSummary
  progress: JobProgress | null
  /** The latest preview the job has sent (progress events may carry none when throttled). */
  preview: JobImage | null
}

export interface GlideState {
  jobs: JobView[]
  models: ModelSummary[]
  preferredModels: PreferredModels
  provider: ExecutionProviderName | null
  hostState: HostState
  mode: 'desktop' | 'browser' | 'cli' | null
  /** null until loaded from main. */
  settings: Settings | null
  setSettings(settings: Settings): void
  /** Lists the installed models again (after the models folder changed). */
  reloadModels(): Promise<void>
  error: string | null
  setError(message: string | null): void
}

/** models.list also lists folders that are not usable (with their problem); pickers get the rest. */
function usableModels(models: ModelSummary[]): ModelSummary[] {
  return models.filter((model) => model.problem === undefined)
}

/** Jobs, models and the provider in use, kept current from main's events. */
export function useGlideState(glide: GlideApi): GlideState {
  const [jobs, setJobs] = useState<ReadonlyMap<string, JobView>>(new Map())
  const [models, setModels] = useState<ModelSummary[]>([])
  const [preferredModels, setPreferredModels] = useState<PreferredModels>(noPreferredModels)
  const [provider, setProvider] = useState<ExecutionProviderName | null>(null)
  const [hostState, setHostState] = useState<HostState>('starting')
  const [settings, setSettings] = useState<Settings | null>(null)
  const [mode, setMode] = useState<GlideState['mode']>(null)
  const [error, setErrorState] = useState<string | null>(null)
  const setError = useCallback((message: string | null) => setErrorState(message), [])

  useEffect(() => {
    const update = (summary: JobSummary) => {
      setJobs((current) => {
        const next = new Map(current)
        const previous = current.get(summary.id)
        next.set(summary.id, {
          summary,
          progress: previous?.progress ?? null,
          preview: previous?.preview ?? null,
        })
        return next
      })
      if (summary.result) setProvider(summary.result.provider)
    }
    const unsubscribers = [
      glide.subscribe('job.updated', update),
      glide.subscribe('job.progress', (progress) => {
        setJobs((current) => {
          const view = current.get(progress.jobId)
          if (!view) return current
          const next = new Map(current)
          next.set(progress.jobId, { ...view, progress, preview: progress.preview ?? view.preview })
          return next
        })
      }),
      glide.subscribe('host.status', (status) => {
        setHostState(status.state)
        if (status.provider) setProvider(status.provider)
      }),
    ]
    void (async () => {
      try {
        const [info, installed, list, saved] = await Promise.all([
          unwrap(glide.app.info({})),
          unwrap(glide.models.list({})),
          unwrap(glide.jobs.list({})),
          unwrap(glide.settings.get({})),
        ])
        setSettings(saved)
        setProvider((current) => current ?? info.provider)
        setHostState(info.hostState)
        setMode(info.mode)
        setModels(usableModels(installed.models))
        setPreferredModels(installed.preferred)
        for (const job of list.jobs) update(job)
      } catch (failure) {
        setErrorState((failure as Error).message)
      }
    })()
    return () => {
      for (const unsubscribe of unsubscribers) unsubscribe()
    }
  }, [glide])

  const reloadModels = useCallback(async () => {
    const installed = await unwrap(glide.models.list({}))
    setModels(usableModels(installed.models))
    setPreferredModels(installed.preferred)
  }, [glide])

  const jobList = useMemo(
    () => [...jobs.values()].sort((a, b) => a.summary.queuedAt - b.summary.queuedAt),
    [jobs],
  )
  return {
    jobs: jobList,
    models,
    preferredModels,
    provider,
    hostState,
    mode,
    settings,
    setSettings,
    reloadModels,
    error,
    setError,
  }
}
