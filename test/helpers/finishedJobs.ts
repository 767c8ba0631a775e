import type { JobImage, JobSummary, SamplingSettings } from '../../contract/jobs'

/** A job summary as the queue reports a finished text-to-image job (the results store's input). */
export function finishedJob(options: {
  id: string
  settings: SamplingSettings
  images: JobImage[]
  finishedAt: number
  modelIds?: string[]
}): JobSummary {
  const { id, settings, images, finishedAt } = options
  return {
    id,
    state: 'done',
    kind: 'generate',
    settings,
    queuedAt: finishedAt - 5000,
    startedAt: finishedAt - 4000,
    finishedAt,
    result: {
      images,
      provider: 'cpu',
      modelIds: options.modelIds ?? ['glide-mini-base'],
      elapsedMs: 4000,
    },
    error: null,
  }
}
