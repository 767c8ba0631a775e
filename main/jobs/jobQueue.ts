import { randomUUID } from 'node:crypto'
import { GlideError, serializeError } from '../../contract/errors'
import {
  limits,
  type GenerationStage,
  type JobImage,
  type JobProgress,
  type JobResult,
  type JobSummary,
  type SamplingSettings,
} from '../../contract/jobs'

export interface JobStep {
  stage: GenerationStage
  step: number
  totalSteps: number
  /** RGBA, or null when this step's preview was throttled. */
  preview: JobImage | null
}

/** Runs one job to the end; throws GlideError('CANCELLED') when cancelled. */
export interface JobRunner<Payload> {
  run(jobId: string, payload: Payload, onStep: (step: JobStep) => void): Promise<JobResult>
  cancel(jobId: string): void
}

export interface JobQueueEvents {
  onUpdated?(summary: JobSummary): void
  onProgress?(progress: JobProgress): void
}

export interface NewJob<Payload> {
  kind: JobSummary['kind']
  settings: SamplingSettings
  /** Everything the runner needs, captured now: later edits in the UI do not reach it. */
  payload: Payload
}

interface JobRecord<Payload> {
  summary: JobSummary
  payload: Payload
}

const finishedJobsKept = 50

/** Jobs run one at a time in submission order: queued → running → done | failed | cancelled. */
export class JobQueue<Payload> {
  private readonly jobs = new Map<string, JobRecord<Payload>>()
  private runningId: string | null = null

  constructor(
    private readonly runner: JobRunner<Payload>,
    private readonly events: JobQueueEvents = {},
    private readonly now: () => number = Date.now,
  ) {}

  submit(job: NewJob<Payload>): JobSummary {
    const waiting = [...this.jobs.values()].filter(
      (record) => record.summary.state === 'queued',
    ).length
    if (waiting >= limits.maxQueuedJobs) {
      throw new GlideError(
        'INVALID_ARGUMENT',
        `At most ${limits.maxQueuedJobs} jobs can wait in the queue.`,
      )
    }
    const summary: JobSummary = {
      id: randomUUID(),
      state: 'queued',
      kind: job.kind,
      settings: structuredClone(job.settings),
      queuedAt: this.now(),
      startedAt: null,
      finishedAt: null,
      result: null,
      error: null,
    }
    this.jobs.set(summary.id, { summary, payload: structuredClone(job.payload) })
    this.forgetOldJobs()
    this.events.onUpdated?.(summary)
    this.pump()
    return summary
  }

  list(): JobSummary[] {
    return [...this.jobs.values()].map((record) => record.summary)
  }

  get(jobId: string): JobSummary | undefined {
    return this.jobs.get(jobId)?.summary
  }

  /** Returns false when the job has already finished. */
  cancel(jobId: string): boolean {
    const record = this.jobs.get(jobId)
    if (!record) throw new GlideError('JOB_NOT_FOUND', 'There is no such job.')
    if (record.summary.state === 'queued') {
      this.finish(record, { state: 'cancelled' })
      return true
    }
    if (record.summary.state === 'running') {
      this.runner.cancel(jobId)
      return true
    }
    return false
  }

  cancelAll(): number {
    const active = this.list().filter((job) => job.state === 'queued' || job.state === 'running')
    for (const job of active) this.cancel(job.id)
    return active.length
  }

  /** Resolves when no job is queued or running. */
  async idle(): Promise<void> {
    while (this.runningId !== null || this.list().some((job) => job.state === 'queued')) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  private pump(): void {
    if (this.runningId !== null) return
    const next = [...this.jobs.values()].find((record) => record.summary.state === 'queued')
    if (!next) return
    void this.execute(next)
  }

  private async execute(record: JobRecord<Payload>): Promise<void> {
    const jobId = record.summary.id
    this.runningId = jobId
    const startedAt = this.now()
    this.update(record, { state: 'running', startedAt })
    // A stage's first step also pays for loading and text encoding, so time from it onwards.
    let stage: { name: GenerationStage; firstStepAt: number; firstStep: number } | null = null
    try {
      const result = await this.runner.run(jobId, record.payload, (step) => {
        const now = this.now()
        if (stage?.name !== step.stage)
          stage = { name: step.stage, firstStepAt: now, firstStep: step.step }
        const timedSteps = step.step - stage.firstStep
        const etaMs =
          timedSteps > 0
            ? Math.round(((now - stage.firstStepAt) / timedSteps) * (step.totalSteps - step.step))
            : null
        this.events.onProgress?.({
          jobId,
          stage: step.stage,
          step: step.step,
          totalSteps: step.totalSteps,
          elapsedMs: now - startedAt,
          etaMs,
          preview: step.preview,
        })
      })
      this.finish(record, { state: 'done', result })
    } catch (error) {
      const serialized = serializeError(error)
      if (serialized.code === 'CANCELLED') this.finish(record, { state: 'cancelled' })
      else this.finish(record, { state: 'failed', error: serialized })
    } finally {
      this.runningId = null
      this.pump()
    }
  }

  private finish(record: JobRecord<Payload>, change: Partial<JobSummary>): void {
    this.update(record, { ...change, finishedAt: this.now() })
  }

  private update(record: JobRecord<Payload>, change: Partial<JobSummary>): void {
    record.summary = { ...record.summary, ...change }
    this.events.onUpdated?.(record.summary)
  }

  private forgetOldJobs(): void {
    const finished = [...this.jobs.values()].filter((record) => record.summary.finishedAt !== null)
    for (const record of finished.slice(0, Math.max(0, finished.length - finishedJobsKept))) {
      this.jobs.delete(record.summary.id)
    }
  }
}
