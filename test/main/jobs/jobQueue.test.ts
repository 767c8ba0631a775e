import { describe, expect, it } from 'vitest'
import { GlideError } from '../../../contract/errors'
import type { JobProgress, JobResult, JobSummary, SamplingSettings } from '../../../contract/jobs'
import { JobQueue, type JobRunner, type JobStep } from '../../../main/jobs/jobQueue'

const settings: SamplingSettings = {
  prompt: 'a corgi',
  guidanceScale: 3,
  baseRespacing: '10',
  upsampleRespacing: 'fast27',
  upsampleTemperature: 0.997,
  seed: 1,
  batchSize: 1,
}

/** A runner whose steps the test releases one by one, to observe the queue between them. */
class SteppedRunner implements JobRunner<{ steps: number }> {
  readonly started: string[] = []
  readonly cancelled = new Set<string>()
  private release: (() => void) | null = null

  async run(
    jobId: string,
    payload: { steps: number },
    onStep: (step: JobStep) => void,
  ): Promise<JobResult> {
    this.started.push(jobId)
    for (let step = 1; step <= payload.steps; step++) {
      await new Promise<void>((resolve) => (this.release = resolve))
      if (this.cancelled.has(jobId)) throw new GlideError('CANCELLED', 'cancelled')
      onStep({ stage: 'base', step, totalSteps: payload.steps, preview: null })
    }
    return { images: [], provider: 'cpu', modelIds: ['m'], elapsedMs: 0 }
  }

  cancel(jobId: string): void {
    this.cancelled.add(jobId)
  }

  async step(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 0))
    const release = this.release
    this.release = null
    release?.()
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
}

function setup() {
  const runner = new SteppedRunner()
  const updates: JobSummary[] = []
  const progress: JobProgress[] = []
  let clock = 1000
  const queue = new JobQueue(
    runner,
    { onUpdated: (job) => updates.push(job), onProgress: (p) => progress.push(p) },
    () => (clock += 100),
  )
  return { runner, queue, updates, progress }
}

describe('JobQueue', () => {
  it('runs jobs one at a time in order, with one progress event per step and an ETA', async () => {
    const { runner, queue, progress } = setup()
    const first = queue.submit({ kind: 'generate', settings, payload: { steps: 3 } })
    const second = queue.submit({ kind: 'generate', settings, payload: { steps: 2 } })
    expect(queue.get(second.id)?.state).toBe('queued')
    for (let i = 0; i < 3; i++) await runner.step()
    await runner.step()
    expect(queue.get(first.id)?.state).toBe('done')
    expect(runner.started).toEqual([first.id, second.id])
    for (let i = 0; i < 2; i++) await runner.step()
    await queue.idle()
    expect(queue.get(second.id)?.state).toBe('done')
    const firstSteps = progress.filter((event) => event.jobId === first.id)
    expect(firstSteps.map((event) => event.step)).toEqual([1, 2, 3])
    expect(firstSteps[0]?.etaMs).toBeNull()
    expect(firstSteps[1]?.etaMs).toBeGreaterThan(0)
    expect(firstSteps[2]?.etaMs).toBe(0)
  })

  it('cancels a queued job without running it, and a running one through the runner', async () => {
    const { runner, queue } = setup()
    const running = queue.submit({ kind: 'generate', settings, payload: { steps: 5 } })
    const waiting = queue.submit({ kind: 'generate', settings, payload: { steps: 1 } })
    await runner.step()
    expect(queue.cancel(waiting.id)).toBe(true)
    expect(queue.get(waiting.id)?.state).toBe('cancelled')
    expect(queue.cancel(running.id)).toBe(true)
    await runner.step()
    await queue.idle()
    expect(queue.get(running.id)?.state).toBe('cancelled')
    expect(runner.started).toEqual([running.id])
    expect(queue.cancel(running.id)).toBe(false)
    expect(() => queue.cancel('missing')).toThrow(GlideError)
  })

  it('captures inputs at queue time', async () => {
    const { runner, queue } = setup()
    const mutable = { ...settings }
    const payload = { steps: 1 }
    const job = queue.submit({ kind: 'generate', settings: mutable, payload })
    mutable.prompt = 'changed'
    payload.steps = 99
    await runner.step()
    await queue.idle()
    expect(queue.get(job.id)?.settings.prompt).toBe('a corgi')
    expect(queue.get(job.id)?.state).toBe('done')
  })

  it('cancels all and reports failures with their code', async () => {
    const { runner, queue } = setup()
    const failing: JobRunner<null> = {
      run: () => Promise.reject(new GlideError('HOST_CRASHED', 'gone')),
      cancel: () => undefined,
    }
    const failQueue = new JobQueue(failing)
    const failed = failQueue.submit({ kind: 'generate', settings, payload: null })
    await failQueue.idle()
    expect(failQueue.get(failed.id)).toMatchObject({
      state: 'failed',
      error: { code: 'HOST_CRASHED' },
    })

    queue.submit({ kind: 'generate', settings, payload: { steps: 3 } })
    queue.submit({ kind: 'generate', settings, payload: { steps: 3 } })
    queue.submit({ kind: 'generate', settings, payload: { steps: 3 } })
    await runner.step()
    expect(queue.cancelAll()).toBe(3)
    await runner.step()
    await queue.idle()
    expect(queue.list().every((job) => job.state === 'cancelled')).toBe(true)
  })
})
