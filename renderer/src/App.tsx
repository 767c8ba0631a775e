import { useCallback, type ComponentType } from 'react'
import type { SamplingSettings } from '../../contract/jobs'
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
  const { jobs, models, provider, hostState, error, setError } = useGlideState(glide)
  const running = jobs.find((job) => job.summary.state === 'running') ?? null
  const queued = jobs.filter((job) => job.summary.state === 'queued').length
  const latest = running ?? jobs.at(-1) ?? null

  const report = useCallback(
    (pending: Promise<unknown>) => {
      pending.then(() => setError(null)).catch((failure: Error) => setError(failure.message))
    },
    [setError],
  )
  const generate = (settings: SamplingSettings) =>
    report(unwrap(glide.jobs.submit({ kind: 'generate', settings })))
  const cancel = () => {
    if (running) report(unwrap(glide.jobs.cancel({ jobId: running.summary.id })))
  }
  const cancelAll = () => report(unwrap(glide.jobs.cancelAll({})))

  return (
    <div className="app">
      <header className="app-header">
        <h1>Glide Studio</h1>
        <span className="provider" data-testid="provider" title="Execution provider">
          {provider
            ? provider.toUpperCase()
            : hostState === 'ready'
              ? 'Ready'
              : hostState === 'restarting'
                ? 'Restarting…'
                : 'Starting…'}
        </span>
      </header>
      <aside className="sidebar">
        <GenerationPanel
          models={models}
          busy={running !== null || queued > 0}
          onGenerate={generate}
          onCancel={cancel}
          onCancelAll={cancelAll}
        />
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
