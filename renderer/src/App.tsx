import { useCallback, type ComponentType } from 'react'
import type { SamplingSettings } from '../../contract/jobs'
import { zExecutionProviderChoice, type ExecutionProviderChoice } from '../../contract/settings'
import { getGlide, unwrap } from './bridge'
import { GenerationPanel } from './ui/GenerationPanel'
import { ProgressView } from './ui/ProgressView'
import { ResultsStrip } from './ui/ResultsStrip'
import { useGlideState } from './ui/useGlideState'

// The layered editor lives in ui/editor/EditorView.tsx (default export); the shell runs without it.
const editorModules = import.meta.glob<{ default: ComponentType }>('./ui/editor/EditorView.tsx', {
  eager: true,
})
const EditorView = Object.values(editorModules)[0]?.default

export function App() {
  const glide = getGlide()
  const {
    jobs,
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
  } = useGlideState(glide)
  const running = jobs.find((job) => job.summary.state === 'running') ?? null
  const queued = jobs.filter((job) => job.summary.state === 'queued').length
  const latest = running ?? jobs.at(-1) ?? null

  const report = useCallback(
    (pending: Promise<unknown>) => {
      pending.then(() => setError(null)).catch((failure: Error) => setError(failure.message))
    },
    [setError],
  )
  const generate = (sampling: SamplingSettings) => {
    report(unwrap(glide.jobs.submit({ kind: 'generate', settings: sampling })))
    // What was used last becomes the next session's starting point.
    const { guidanceScale, baseRespacing, upsampleRespacing, batchSize } = sampling
    report(
      unwrap(
        glide.settings.update({
          defaults: { guidanceScale, baseRespacing, upsampleRespacing, batchSize },
        }),
      ).then(setSettings),
    )
  }
  const chooseModelsDir = () =>
    report(
      unwrap(glide.settings.chooseModelsDir({})).then(async (saved) => {
        setSettings(saved)
        await reloadModels()
      }),
    )
  const chooseProvider = (executionProvider: ExecutionProviderChoice) =>
    report(unwrap(glide.settings.update({ executionProvider })).then(setSettings))
  const cancel = () => {
    if (running) report(unwrap(glide.jobs.cancel({ jobId: running.summary.id })))
  }
  const cancelAll = () => report(unwrap(glide.jobs.cancelAll({})))

  return (
    <div className="app">
      <header className="app-header">
        <h1>Glide Studio</h1>
        <div className="header-tools">
          {mode === 'desktop' && (
            <button
              type="button"
              onClick={chooseModelsDir}
              title={settings?.modelsDir ?? 'Default models folder'}
            >
              Models folder…
            </button>
          )}
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
      <aside className="sidebar">
        {settings && (
          <GenerationPanel
            defaults={settings.defaults}
            models={models}
            preferredModels={preferredModels}
            busy={running !== null || queued > 0}
            onGenerate={generate}
            onCancel={cancel}
            onCancelAll={cancelAll}
          />
        )}
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <ProgressView job={running} queued={queued} />
      </aside>
      <main className="workspace">
        {EditorView ? (
          <EditorView />
        ) : (
          <div className="empty-workspace">
            {latest?.summary.result?.images[0] ? (
              <img
                className="large-result"
                src={latest.summary.result.images[0].pngDataUrl}
                alt="Latest result"
              />
            ) : (
              <p className="muted">Type a prompt and press Generate.</p>
            )}
          </div>
        )}
      </main>
      <footer className="results">
        <ResultsStrip jobs={jobs} />
      </footer>
    </div>
  )
}
