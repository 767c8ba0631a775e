import type { JobView } from '../useGlideState'

function formatSeconds(ms: number): string {
  const seconds = Math.round(ms / 1000)
  return seconds >= 60 ? `${Math.floor(seconds / 60)} min ${seconds % 60} s` : `${seconds} s`
}

/** How a job is named in the queue and the gallery: the prompt and the seed it used. */
export function settingsLabel({ prompt, seed }: { prompt: string; seed: number }): string {
  return `${prompt.trim() || 'Untitled'} (${seed})`
}

function jobLabel(job: JobView): string {
  return settingsLabel(job.summary.settings)
}

function jobStatus(job: JobView): string {
  if (job.summary.state === 'queued') return 'Queued'
  const progress = job.progress
  if (!progress) return 'Starting…'
  const eta = progress.etaMs !== null ? ` · ${formatSeconds(progress.etaMs)} left` : ''
  if (progress.stage === 'prepare') {
    return `Making the 8-bit model (once per model): run ${progress.step} of ${progress.totalSteps}${eta}`
  }
  const stage = progress.stage === 'upsample' ? 'Upsampling' : 'Sampling'
  return `${stage}: step ${progress.step} of ${progress.totalSteps}${eta}`
}

/** The running job (with its progress) and the jobs waiting behind it, each with its Cancel. */
export function QueueList({
  jobs,
  onCancel,
}: {
  jobs: readonly JobView[]
  onCancel(jobId: string): void
}) {
  if (jobs.length === 0) return null
  return (
    <ul className="queue-list" aria-label="Queue">
      {jobs.map((job) => {
        const label = jobLabel(job)
        const progress = job.progress
        return (
          <li key={job.summary.id} aria-label={label} data-state={job.summary.state}>
            <div className="queue-text">
              <span className="queue-name" title={label}>
                {label}
              </span>
              <span className="queue-status" data-testid="progress-text">
                {jobStatus(job)}
              </span>
              {job.summary.state === 'running' && (
                <progress
                  aria-label="Generation progress"
                  max={progress?.totalSteps ?? 1}
                  value={progress?.step ?? 0}
                />
              )}
            </div>
            <button
              type="button"
              className="icon-button"
              aria-label={`Cancel ${label}`}
              title="Cancel this job"
              onClick={() => onCancel(job.summary.id)}
            >
              ×
            </button>
          </li>
        )
      })}
    </ul>
  )
}
