import { useCallback, useState } from 'react'
import { zExecutionProviderChoice, type ExecutionProviderChoice } from '../../contract/settings'
import { getGlide, unwrap } from './bridge'
import { EditorView } from './ui/editor/EditorView'
import { installWords, ModelsDialog } from './ui/models/ModelsDialog'
import { useModelInstalls } from './ui/models/useModelInstalls'
import { useGlideState } from './ui/useGlideState'

/** The window: a slim header (document name, models, execution provider) over the editor. */
export function App() {
  const glide = getGlide()
  const state = useGlideState(glide)
  const { mode, settings, setSettings, reloadModels, setError, provider, hostState } = state
  const [modelsOpen, setModelsOpen] = useState(false)
  /** Where the editor puts the document's name, in the header. */
  const [documentSlot, setDocumentSlot] = useState<HTMLDivElement | null>(null)
  const closeModels = useCallback(() => setModelsOpen(false), [])
  const openModels = useCallback(() => setModelsOpen(true), [])
  const installs = useModelInstalls(glide, reloadModels, setError)
  const runningInstall = installs.active.find((progress) => progress.stage !== 'queued')
  // An install that failed with the dialog closed (a download cut off after many minutes) must
  // not go unnoticed: the Models button says so until it is retried.
  const failedInstalls =
    installs.official?.models.filter(
      (model) => model.install?.stage === 'failed' && !model.installed,
    ) ?? []

  const report = useCallback(
    (pending: Promise<unknown>) => {
      pending.then(() => setError(null)).catch((failure: Error) => setError(failure.message))
    },
    [setError],
  )
  const chooseModelsDir = () =>
    report(
      unwrap(glide.settings.chooseModelsDir({})).then(async (saved) => {
        setSettings(saved)
        await Promise.all([reloadModels(), installs.refresh()])
      }),
    )
  const chooseProvider = (executionProvider: ExecutionProviderChoice) =>
    report(unwrap(glide.settings.update({ executionProvider })).then(setSettings))

  return (
    <div className="app">
      <header className="app-header">
        <h1>Glide Studio</h1>
        <div className="header-document" ref={setDocumentSlot} />
        <div className="header-tools">
          <button
            type="button"
            onClick={() => setModelsOpen((open) => !open)}
            aria-expanded={modelsOpen}
            title={
              runningInstall
                ? installWords(runningInstall)
                : failedInstalls.length > 0
                  ? failedInstalls
                      .map((model) => `${model.name}: ${model.install?.error?.message ?? ''}`)
                      .join('\n')
                  : 'Installed and downloadable models'
            }
          >
            Models…
            {installs.active.length > 0 && (
              <span className="models-button-progress" data-testid="models-button-progress">
                {runningInstall?.stage === 'downloading' && runningInstall.totalBytes
                  ? `${Math.floor((100 * runningInstall.receivedBytes) / runningInstall.totalBytes)} %`
                  : 'installing'}
              </span>
            )}
            {installs.active.length === 0 && failedInstalls.length > 0 && (
              <span className="models-button-failed" data-testid="models-button-failed">
                {failedInstalls.length} failed
              </span>
            )}
          </button>
          {settings && (
            <select
              aria-label="Execution provider"
              title="Where the models run; takes effect for models loaded from now on"
              value={settings.executionProvider}
              onChange={(event) =>
                chooseProvider(zExecutionProviderChoice.parse(event.target.value))
              }
            >
              <option value="auto">Auto (GPU if available)</option>
              <option value="cpu">CPU</option>
              <option value="cuda">CUDA</option>
              <option value="directml">DirectML</option>
              <option value="coreml">Core ML</option>
            </select>
          )}
          <span className="provider" data-testid="provider" title="Execution provider in use">
            {provider
              ? provider.toUpperCase()
              : hostState === 'ready'
                ? 'Ready'
                : hostState === 'restarting'
                  ? 'Restarting…'
                  : 'Starting…'}
          </span>
        </div>
      </header>
      <main className="workspace">
        <EditorView
          glide={glide}
          state={state}
          onOpenModels={openModels}
          documentSlot={documentSlot}
        />
      </main>
      {modelsOpen && (
        <ModelsDialog
          glide={glide}
          installs={installs}
          onClose={closeModels}
          {...(mode === 'desktop' ? { onChooseFolder: chooseModelsDir } : {})}
        />
      )}
    </div>
  )
}
