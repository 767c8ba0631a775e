import type { JobImage, JobSummary, SamplingSettings } from '../../contract/jobs'

/** The notebook's settings with a prompt and seed of one's own (and any other field changed). */
export function samplingSettings(
  fields: Pick<SamplingSettings, 'prompt' | 'seed'> & Partial<SamplingSettings>,
): SamplingSettings {
  return {
    guidanceScale: 3,
    baseRespacing: '100',
    upsampleRespacing: 'fast27',
    upsampleTemperature: 0.997,
    batchSize: 1,
    ...fields,
  }
}

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
