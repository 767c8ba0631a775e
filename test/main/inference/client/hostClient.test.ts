import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GlideError } from '../../../../contract/errors'
import {
  InferenceHostClient,
  type HostLauncher,
  type HostProcess,
  type HostProcessHandlers,
  type HostStep,
} from '../../../../main/inference/client/hostClient'
import { nodeHostLauncher } from '../../../../main/inference/client/nodeHostLauncher'
import type { HostJob } from '../../../../main/inference/protocol'
import { referenceModelId, referenceModelsDir } from '../../../e2e/referenceModel'

let modelsDir: string
let host: InferenceHostClient
const states: string[] = []
// The live host process and its handlers, to inject malformed messages in both directions.
let hostProcess: HostProcess | null = null
let hostHandlers: HostProcessHandlers | null = null
let hostPid = 0

/** The files of the models dir the host process has open or mapped (read from Linux's /proc). */
function openModelFiles(): string[] {
  const fds = readdirSync(`/proc/${hostPid}/fd`).map((fd) => {
    try {
      return readlinkSync(`/proc/${hostPid}/fd/${fd}`)
    } catch {
      return ''
    }
  })
  const maps = readFileSync(`/proc/${hostPid}/maps`, 'utf8')
    .split('\n')
    .map((line) => line.split(/\s+/).slice(5).join(' '))
  return [...new Set([...fds, ...maps].filter((path) => path.startsWith(modelsDir)))]
}

function job(steps: number, seed = 1): HostJob {
  return {
    kind: 'generate',
    settings: {
      prompt: 'a red cube',
      guidanceScale: 3,
      baseRespacing: String(steps),
      upsampleRespacing: 'fast27',
      upsampleTemperature: 0.997,
      seed,
      batchSize: 1,
    },
    baseModel: { modelsDir, id: referenceModelId },
    upsampleModel: null,
    executionProvider: 'cpu',
    previewIntervalMs: 0,
  }
}

beforeAll(async () => {
  modelsDir = await referenceModelsDir()
  const launch = nodeHostLauncher()
  const capturing: HostLauncher = (handlers) => {
    hostHandlers = handlers
    hostProcess = launch({
      ...handlers,
      onMessage(raw) {
        const message = raw as { type?: string; pid?: number }
        if (message.type === 'ready' && message.pid !== undefined) hostPid = message.pid
        handlers.onMessage(raw)
      },
    })
    return hostProcess
  }
  host = new InferenceHostClient(capturing, {
    onStatus: (state) => states.push(state),
    restartDelayMs: 50,
  })
  await host.ensureStarted()
})

afterAll(() => host.dispose())

describe('inference host (child process, real ONNX Runtime)', () => {
  it('runs a generation with one step event per step and returns RGBA pixels and previews', async () => {
    const steps: HostStep[] = []
    const result = await host.run('job-1', job(6), (step) => steps.push(step))
    expect(steps.map((step) => step.step)).toEqual([1, 2, 3, 4, 5, 6])
    expect(steps.every((step) => step.stage === 'base' && step.totalSteps === 6)).toBe(true)
    expect(steps.every((step) => step.preview?.data instanceof Uint8Array)).toBe(true)
    expect(steps[0]?.preview?.data).toHaveLength(64 * 64 * 4)
    expect(result.provider).toBe('cpu')
    expect(result.modelIds).toEqual([referenceModelId])
    expect(result.images).toHaveLength(1)
    const image = result.images[0]!
    expect([image.width, image.height]).toEqual([64, 64])
    expect(image.data).toHaveLength(64 * 64 * 4)
    // Opaque pixels that are not all one colour: a real sample, not a blank buffer.
    expect(image.data.filter((_, index) => index % 4 === 3).every((alpha) => alpha === 255)).toBe(
      true,
    )
    expect(new Set(image.data.filter((_, index) => index % 4 === 0)).size).toBeGreaterThan(8)
  })

  it('throttles previews but always sends the first and the last', async () => {
    const steps: HostStep[] = []
    await host.run('job-throttle', { ...job(5), previewIntervalMs: 60_000 }, (step) =>
      steps.push(step),
    )
    expect(steps.map((step) => step.preview !== null)).toEqual([true, false, false, false, true])
  })

  it('gives the same pixels for the same seed, from a cached model', async () => {
    const first = await host.run('job-2', job(3, 9), () => undefined)
    const second = await host.run('job-3', job(3, 9), () => undefined)
    expect(Buffer.compare(first.images[0]!.data, second.images[0]!.data)).toBe(0)
  })

  it('closes its models when asked, unless a job is running', async () => {
    await host.run('job-r1', job(2), () => undefined)
    // The cached sessions map their weights: what keeps Windows from deleting a model folder.
    expect(openModelFiles()).toEqual(
      expect.arrayContaining([expect.stringMatching(/reference-base\/unet\.onnx\.data$/)]),
    )
    expect(await host.releaseModels()).toBe(true)
    expect(openModelFiles()).toEqual([])
    let answer: boolean | null = null
    await host.run('job-r2', job(6), (step) => {
      if (step.step === 2) void host.releaseModels().then((released) => (answer = released))
    })
    expect(answer).toBe(false)
  })

  it('stops a cancelled job within one step', async () => {
    const seen: number[] = []
    let cancelledAt = 0
    const run = host.run('job-4', job(40), (step) => {
      seen.push(step.step)
      if (step.step === 3) {
        cancelledAt = step.step
        host.cancel('job-4')
      }
    })
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(Math.max(...seen)).toBeLessThanOrEqual(cancelledAt + 1)
  })

  it('fails the running job with HOST_CRASHED when the host dies, restarts it, and runs the next job', async () => {
    const run = host.run('job-5', job(40), (step) => {
      if (step.step === 2) host.killHost()
    })
    const error = await run.catch((failure: unknown) => failure)
    expect(error).toBeInstanceOf(GlideError)
    expect((error as GlideError).code).toBe('HOST_CRASHED')
    expect(states).toContain('restarting')
    const next = await host.run('job-6', job(2), () => undefined)
    expect(next.images).toHaveLength(1)
    expect(host.state).toBe('ready')
  })

  it('ignores malformed messages in both directions and keeps working', async () => {
    const junk: unknown[] = [
      { type: 'run', jobId: 'bad', job: { kind: 'generate' } },
      { type: 'run', jobId: '../../x', job: job(2) },
      { type: 'explode' },
      'not an object',
    ]
    for (const message of junk) hostProcess?.send(message as never)
    const fromHost: unknown[] = [
      { type: 'done', jobId: 'job-7', images: 'nope', provider: 'cpu', modelIds: [] },
      { type: 'step', jobId: 'job-7', stage: 'base', step: -1, totalSteps: 2, preview: null },
      null,
    ]
    for (const message of fromHost) hostHandlers?.onMessage(message)
    const steps: number[] = []
    const result = await host.run('job-7', job(2), (step) => steps.push(step.step))
    expect(steps).toEqual([1, 2])
    expect(result.images).toHaveLength(1)
  })
})

describe('inference host supervision', () => {
  it('fails the job with HOST_CRASHED when the host cannot start, and retries', async () => {
    let attempts = 0
    const client = new InferenceHostClient(
      () => {
        attempts++
        throw new Error('no such executable')
      },
      { restartDelayMs: 10 },
    )
    await expect(client.run('job-x', job(1), () => undefined)).rejects.toMatchObject({
      code: 'HOST_CRASHED',
    })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(attempts).toBeGreaterThan(1)
    expect(client.state).toBe('restarting')
    client.dispose()
    expect(client.state).toBe('stopped')
  })
})

describe('a host that ignores a cancel', () => {
  it('is killed after the cancel timeout and the job ends cancelled', async () => {
    let killed = 0
    // A stand-in process that starts, accepts the job and then never answers.
    const stuck: HostLauncher = (handlers) => {
      setImmediate(() => handlers.onMessage({ type: 'ready', pid: 1 }))
      return {
        send: () => undefined,
        kill: () => {
          killed++
          setImmediate(() => handlers.onExit(null))
        },
      }
    }
    const client = new InferenceHostClient(stuck, { cancelTimeoutMs: 50, restartDelayMs: 10 })
    const run = client.run('job-stuck', job(1), () => undefined)
    await client.ensureStarted()
    await new Promise((resolve) => setImmediate(resolve))
    client.cancel('job-stuck')
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(killed).toBe(1)
    client.dispose()
  })
})
