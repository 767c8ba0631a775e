import { useCallback, useEffect, useState } from 'react'
import type { GlideApi, RequestOutput } from '../../../../contract/ipc'
import type { InstallProgress } from '../../../../contract/modelInstalls'
import { finishedInstallStages } from '../../../../contract/modelInstalls'
import { unwrap } from '../../bridge'

export type OfficialModels = RequestOutput<'models.official'>

export interface ModelInstallsState {
  /** null until main has answered (or when it has no installs, as in the CLI). */
  official: OfficialModels | null
  /** The installs that are running or waiting. */
  active: InstallProgress[]
  install(keys: string[]): Promise<void>
  cancel(key: string): Promise<void>
  /** Deletes a model folder; resolves with the bytes freed, rejects with main's typed error. */
  remove(id: string): Promise<number>
  refresh(): Promise<void>
}

/**
 * The official checkpoints and their installs, kept current from main's progress events for the
 * whole session (an install goes on while the Models dialog is closed). `onModelsChanged` runs after
 * each finished install or removal, so the model pickers list what is there.
 */
export function useModelInstalls(
  glide: GlideApi,
  onModelsChanged: () => Promise<void>,
  onError: (message: string) => void,
): ModelInstallsState {
  const [official, setOfficial] = useState<OfficialModels | null>(null)

  const refresh = useCallback(async () => {
    try {
      setOfficial(await unwrap(glide.models.official({})))
    } catch (failure) {
      onError((failure as Error).message)
    }
  }, [glide, onError])

  useEffect(() => {
    let live = true
    unwrap(glide.models.official({}))
      .then((state) => live && setOfficial(state))
      .catch((failure: Error) => onError(failure.message))
    const unsubscribe = glide.subscribe('models.installProgress', (progress) => {
      setOfficial((current) =>
        current === null
          ? current
          : {
              ...current,
              models: current.models.map((model) =>
                model.key === progress.key ? { ...model, install: progress } : model,
              ),
            },
      )
      if (progress.stage === 'done') {
        void refresh()
        onModelsChanged().catch((failure: Error) => onError(failure.message))
      }
    })
    return () => {
      live = false
      unsubscribe()
    }
  }, [glide, refresh, onModelsChanged, onError])

  /** Install and cancel report a refusal through onError; their progress comes as events. */
  const reported = useCallback(
    (pending: Promise<unknown>) =>
      pending.then(
        () => undefined,
        (failure: Error) => onError(failure.message),
      ),
    [onError],
  )
  const install = useCallback(
    (keys: string[]) => reported(unwrap(glide.models.install({ keys }))),
    [glide, reported],
  )
  const cancel = useCallback(
    (key: string) => reported(unwrap(glide.models.cancelInstall({ key }))),
    [glide, reported],
  )

  const remove = useCallback(
    async (id: string) => {
      const { freedBytes } = await unwrap(glide.models.remove({ id }))
      await Promise.all([refresh(), onModelsChanged()])
      return freedBytes
    },
    [glide, refresh, onModelsChanged],
  )

  const active = (official?.models ?? [])
    .map((model) => model.install)
    .filter((progress): progress is InstallProgress => progress !== null)
    .filter((progress) => !finishedInstallStages.has(progress.stage))
  return { official, active, install, cancel, remove, refresh }
}
