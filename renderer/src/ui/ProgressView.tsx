import type { JobView } from './useGlideState'

function formatSeconds(ms: number): string {
  const seconds = Math.round(ms / 1000)
  return seconds >= 60 ? `${Math.floor(seconds / 60)} min ${seconds % 60} s` : `${seconds} s`
}

/** The running job: progress bar with step count and ETA, and the live preview. */
export function ProgressView({ job, queued }: { job: JobView | null; queued: number }) {
  const progress = job?.progress ?? null
  const stageLabel = progress?.stage === 'upsample' ? 'Upsampling' : 'Sampling'
  return (
    <section className="panel progress-view" aria-label="Progress">
      <div className="progress-line">
        <progress
          aria-label="Generation progress"
          max={progress?.totalSteps ?? 1}
          value={progress?.step ?? 0}
        />
        <span className="progress-text" data-testid="progress-text">
          {job === null
            ? 'Idle'
            : progress === null
              ? 'Starting…'
              : `${stageLabel}: step ${progress.step} / ${progress.totalSteps}` +
                (progress.etaMs !== null ? ` · ETA ${formatSeconds(progress.etaMs)}` : '')}
        </span>
      </div>
      {queued > 0 && <p className="muted">{queued} queued</p>}
      <div className="preview-frame">
        {job?.preview ? (
          <img src={job.preview} alt="Live preview" data-step={progress?.step ?? 0} />
        ) : (
          <span className="muted">The live preview appears here.</span>
        )}
      </div>
    </section>
  )
}
