import type { JobView } from './useGlideState'

function fileName(job: JobView, index: number): string {
  const words = job.summary.settings.prompt
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40)
  return `${words || 'glide'}-${job.summary.settings.seed}-${index + 1}.png`
}

/** Finished images, newest first, each with a "Save as PNG" download. */
export function ResultsStrip({ jobs }: { jobs: JobView[] }) {
  const finished = jobs.filter(
    (job) => job.summary.state !== 'queued' && job.summary.state !== 'running',
  )
  return (
    <section className="results-strip" aria-label="Results">
      {finished.length === 0 && <span className="muted">Results appear here.</span>}
      {[...finished].reverse().map((job) =>
        job.summary.result ? (
          job.summary.result.images.map((image, index) => (
            <figure key={`${job.summary.id}-${index}`} className="result">
              <img
                src={image.pngDataUrl}
                alt={`Result: ${job.summary.settings.prompt || 'no prompt'} (${index + 1})`}
                width={image.width}
                height={image.height}
              />
              <figcaption>
                <span title={job.summary.settings.prompt}>
                  {job.summary.settings.prompt || '—'}
                </span>
                <a href={image.pngDataUrl} download={fileName(job, index)}>
                  Save as PNG
                </a>
              </figcaption>
            </figure>
          ))
        ) : (
          <figure key={job.summary.id} className={`result result-${job.summary.state}`}>
            <div className="result-placeholder">
              {job.summary.state === 'cancelled'
                ? 'Cancelled'
                : (job.summary.error?.message ?? 'Failed')}
            </div>
            <figcaption>{job.summary.settings.prompt || '—'}</figcaption>
          </figure>
        ),
      )}
    </section>
  )
}
