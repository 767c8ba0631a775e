import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import type { FromHost, HostJob } from '../../../../main/inference/protocol'

const miniDir = fileURLToPath(new URL('../../../../native-models/glide-mini/', import.meta.url))
let workDir: string
let modelsDir: string
const received: FromHost[] = []
const listeners = new Set<(message: FromHost) => void>()
let send: (raw: unknown) => void = () => undefined

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'glide-host-'))
  modelsDir = join(workDir, 'models')
  for (const id of ['glide-mini-base', 'glide-mini-upsample']) {
    await cp(join(miniDir, id), join(modelsDir, id), {
      recursive: true,
      filter: (source) => !source.includes('.ort-cache'),
    })
  }
  // The host removes old optimised-graph caches from the user cache dir: let it be this test's.
  process.env.XDG_CACHE_HOME = join(workDir, 'cache')
  const { runInferenceHost } = await import('../../../../main/inference/host/inferenceHost')
  runInferenceHost({
    post: (message) => {
      received.push(message)
      for (const listener of listeners) listener(message)
      return Promise.resolve()
    },
    onMessage: (listener) => {
      send = listener
    },
  })
})
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true })
})

function job(seed: number, upsampleId = 'glide-mini-upsample'): HostJob {
  return {
    kind: 'generate',
    settings: {
      prompt: 'a red circle',
      guidanceScale: 3,
      baseRespacing: '3',
      upsampleRespacing: '3',
      upsampleTemperature: 0.997,
      seed,
      batchSize: 1,
    },
    baseModel: { modelsDir, id: 'glide-mini-base' },
    upsampleModel: { modelsDir, id: upsampleId },
    executionProvider: 'cpu',
    previewIntervalMs: 0,
  }
}

/** Sends a job and resolves with its last message ('done' or 'failed'); onStep hears its steps. */
function runJob(jobId: string, hostJob: HostJob, onStep?: (message: FromHost) => void) {
  return new Promise<FromHost>((resolve) => {
    const listener = (message: FromHost) => {
      if (!('jobId' in message) || message.jobId !== jobId) return
      if (message.type === 'step') onStep?.(message)
      if (message.type === 'done' || message.type === 'failed') {
        listeners.delete(listener)
        resolve(message)
      }
    }
    listeners.add(listener)
    send({ type: 'run', jobId, job: hostJob })
  })
}

describe('inference host: base, then the upsampler opened at its stage', () => {
  it('runs text to image with both models and names both', async () => {
    const done = await runJob('00000000-0000-4000-8000-000000000001', job(5))
    expect(done.type).toBe('done')
    if (done.type !== 'done') return
    expect(done.modelIds).toEqual(['glide-mini-base', 'glide-mini-upsample'])
    expect(done.images[0]?.width).toBe(128)
    const stages = received
      .filter((message) => message.type === 'step')
      .map((message) => (message.type === 'step' ? message.stage : ''))
    expect(new Set(stages)).toEqual(new Set(['base', 'upsample']))
  }, 60_000)

  it('stops a job cancelled during the upsampler stage with CANCELLED', async () => {
    const jobId = '00000000-0000-4000-8000-000000000002'
    const end = await runJob(jobId, job(6), (step) => {
      if (step.type === 'step' && step.stage === 'upsample') send({ type: 'cancel', jobId })
    })
    expect(end).toMatchObject({ type: 'failed', error: { code: 'CANCELLED' } })
  }, 60_000)

  it('fails a job whose upsampler folder is broken with MODEL_INVALID before any step', async () => {
    const jobId = '00000000-0000-4000-8000-000000000003'
    const end = await runJob(jobId, job(7, 'no-such-upsampler'))
    expect(end).toMatchObject({ type: 'failed', error: { code: 'MODEL_INVALID' } })
    expect(received.some((message) => message.type === 'step' && message.jobId === jobId)).toBe(
      false,
    )
  }, 60_000)
})
