import { GlideError } from '../../../contract/errors'
import { describeIssues } from '../../../contract/issues'
import type { ExecutionProviderName, GenerationStage } from '../../../contract/jobs'
import { zFromHost, type FromHost, type HostImage, type HostJob, type ToHost } from '../protocol'

/** A started helper process, whatever runs it (utilityProcess or child_process.fork). */
export interface ChildProcessHandle<Message> {
  send(message: Message): void
  kill(): void
}

export interface HostProcessHandlers {
  onMessage(raw: unknown): void
  onExit(code: number | null): void
}

export type ChildLauncher<Message> = (handlers: HostProcessHandlers) => ChildProcessHandle<Message>

/** The inference host's process. */
export type HostProcess = ChildProcessHandle<ToHost>
export type HostLauncher = ChildLauncher<ToHost>

export type HostState = 'starting' | 'ready' | 'restarting' | 'stopped'

export interface HostStep {
  stage: GenerationStage
  step: number
  totalSteps: number
  /** RGBA, or null when throttled. */
  preview: HostImage | null
}

export interface HostRunResult {
  /** RGBA */
  images: HostImage[]
  provider: ExecutionProviderName
  modelIds: string[]
}

interface PendingRun {
  jobId: string
  onStep(step: HostStep): void
  resolve(result: HostRunResult): void
  reject(error: GlideError): void
  cancelTimer?: NodeJS.Timeout
}

export interface HostClientOptions {
  /** Called whenever the host's state or provider changes. */
  onStatus?(state: HostState, provider: ExecutionProviderName | null): void
  /** A cancel the host has not honoured after this long kills and restarts it. */
  cancelTimeoutMs?: number
  /** Restart delay after a crash; doubles on each crash within a minute, up to 10 s. */
  restartDelayMs?: number
}

/**
 * Main's side of the inference host: starts it, relays jobs and their steps, and supervises it.
 * When the host dies, the running job fails with HOST_CRASHED and a fresh host starts.
 */
export class InferenceHostClient {
  private process: HostProcess | null = null
  private readyWaiters: Array<() => void> = []
  private releaseWaiters: Array<(released: boolean) => void> = []
  private running: PendingRun | null = null
  private crashes: number[] = []
  private restartTimer: NodeJS.Timeout | null = null
  private disposed = false
  private currentState: HostState = 'stopped'
  private lastProvider: ExecutionProviderName | null = null

  constructor(
    private readonly launch: HostLauncher,
    private readonly options: HostClientOptions = {},
  ) {}

  get state(): HostState {
    return this.currentState
  }

  get provider(): ExecutionProviderName | null {
    return this.lastProvider
  }

  /** Starts the host if it is not running; resolves once it has said it is ready. */
  ensureStarted(): Promise<void> {
    if (this.disposed)
      return Promise.reject(new GlideError('HOST_CRASHED', 'The inference host was shut down.'))
    if (this.currentState === 'ready') return Promise.resolve()
    const ready = new Promise<void>((resolve) => this.readyWaiters.push(resolve))
    if (!this.process && !this.restartTimer) this.spawn()
    return ready
  }

  /** Runs one job; the host runs one at a time, so callers (the job queue) serialise. */
  run(jobId: string, job: HostJob, onStep: (step: HostStep) => void): Promise<HostRunResult> {
    if (this.running) {
      return Promise.reject(
        new GlideError('INTERNAL', 'The inference host is already running a job.'),
      )
    }
    const result = new Promise<HostRunResult>((resolve, reject) => {
      this.running = { jobId, onStep, resolve, reject }
    })
    // The job may fail (a host that dies while starting) before any host is ready; it is sent only
    // if it is still the one waiting.
    this.ensureStarted().then(
      () => {
        if (this.running?.jobId === jobId) this.process?.send({ type: 'run', jobId, job })
      },
      (error: unknown) => {
        const failure =
          error instanceof GlideError ? error : new GlideError('INTERNAL', String(error))
        this.settle(jobId, (pending) => pending.reject(failure))
      },
    )
    return result
  }

  cancel(jobId: string): void {
    const pending = this.running
    if (!pending || pending.jobId !== jobId || pending.cancelTimer) return
    this.process?.send({ type: 'cancel', jobId })
    pending.cancelTimer = setTimeout(() => {
      if (this.running === pending) this.process?.kill()
    }, this.options.cancelTimeoutMs ?? 30_000)
  }

  /**
   * Asks the host to close every loaded model, so their files can be deleted; resolves with
   * whether it did (false while a job runs). A host not running has nothing open: true at once.
   */
  releaseModels(timeoutMs = 10_000): Promise<boolean> {
    const child = this.process
    if (!child || this.currentState !== 'ready') return Promise.resolve(true)
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), timeoutMs)
      const finish = (released: boolean) => {
        clearTimeout(timer)
        this.releaseWaiters = this.releaseWaiters.filter((waiter) => waiter !== finish)
        resolve(released)
      }
      this.releaseWaiters.push(finish)
      child.send({ type: 'releaseModels' })
    })
  }

  /** Kills the host process as a crash would; supervision restarts it. */
  killHost(): void {
    this.process?.kill()
  }

  dispose(): void {
    this.disposed = true
    if (this.restartTimer) clearTimeout(this.restartTimer)
    this.restartTimer = null
    this.process?.kill()
    this.process = null
    this.setState('stopped')
  }

  private spawn(): void {
    this.setState(this.crashes.length > 0 ? 'restarting' : 'starting')
    let exited = false
    let child: HostProcess
    try {
      child = this.launch({
        onMessage: (raw) => {
          if (!exited && this.process === child) this.receive(raw)
        },
        onExit: (code) => {
          if (exited) return
          exited = true
          if (this.process === child) this.onHostExit(code)
        },
      })
    } catch (error) {
      // A host that cannot even start counts as one that crashed: fail the job, retry later.
      console.error('The inference host could not start:', error)
      this.onHostExit(null)
      return
    }
    this.process = child
  }

  private receive(raw: unknown): void {
    const parsed = zFromHost.safeParse(raw)
    if (!parsed.success) {
      console.error(
        `inference host sent a malformed message (${describeIssues(parsed.error, 1, 'message')})`,
      )
      return
    }
    const message: FromHost = parsed.data
    switch (message.type) {
      case 'ready': {
        this.setState('ready')
        const waiters = this.readyWaiters
        this.readyWaiters = []
        for (const resolve of waiters) resolve()
        return
      }
      case 'step':
        if (this.running?.jobId === message.jobId) {
          this.running.onStep({
            stage: message.stage,
            step: message.step,
            totalSteps: message.totalSteps,
            preview: message.preview,
          })
        }
        return
      case 'done':
        this.lastProvider = message.provider
        this.setState(this.currentState)
        this.settle(message.jobId, (pending) =>
          pending.resolve({
            images: message.images,
            provider: message.provider,
            modelIds: message.modelIds,
          }),
        )
        return
      case 'failed':
        this.settle(message.jobId, (pending) =>
          pending.reject(new GlideError(message.error.code, message.error.message)),
        )
        return
      case 'modelsReleased':
        for (const finish of [...this.releaseWaiters]) finish(message.released)
        return
    }
  }

  private settle(jobId: string, finish: (pending: PendingRun) => void): void {
    const pending = this.running
    if (!pending || pending.jobId !== jobId) return
    if (pending.cancelTimer) clearTimeout(pending.cancelTimer)
    this.running = null
    finish(pending)
  }

  private onHostExit(code: number | null): void {
    this.process = null
    // A host that is gone has no model open.
    for (const finish of [...this.releaseWaiters]) finish(true)
    const pending = this.running
    if (pending) {
      const cancelledByTimeout = pending.cancelTimer !== undefined
      this.settle(pending.jobId, (job) =>
        job.reject(
          cancelledByTimeout
            ? new GlideError(
                'CANCELLED',
                'The job was cancelled (the inference host was restarted).',
              )
            : new GlideError(
                'HOST_CRASHED',
                `The inference host stopped unexpectedly (exit code ${code ?? 'none'}).`,
              ),
        ),
      )
    }
    if (this.disposed) return
    const now = Date.now()
    this.crashes = [...this.crashes.filter((at) => now - at < 60_000), now]
    const delay = Math.min(
      10_000,
      (this.options.restartDelayMs ?? 200) * 2 ** (this.crashes.length - 1),
    )
    this.setState('restarting')
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null
      if (!this.disposed) this.spawn()
    }, delay)
  }

  private setState(state: HostState): void {
    this.currentState = state
    this.options.onStatus?.(state, this.lastProvider)
  }
}
