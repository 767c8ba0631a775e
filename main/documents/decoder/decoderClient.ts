import { mkdtempSync, rmSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { extname, join } from 'node:path'
import type { DecodedImage, ProjectData } from '../../../contract/documents'
import { maxDocumentSide, maxImagePixels } from '../../../contract/documents'
import { GlideError, type ErrorCode } from '../../../contract/errors'
import { describeIssues } from '../../../contract/issues'
import type { ChildLauncher, ChildProcessHandle } from '../../inference/client/hostClient'
import { maxDocumentPixels, pngDimensions } from '../pixelBudget'
import type { DocumentDecoder } from './documentDecoder'
import {
  readFrameFile,
  replyPathFor,
  writeFrameFile,
  zDecodeReply,
  zFromDecoder,
  type DecodeReply,
  type DecodeRequest,
  type ToDecoder,
} from './protocol'

export interface DecoderClientOptions {
  /** A request still unanswered after this long kills the decoder (a decode bomb, a hang). */
  readonly timeoutMs?: number
}

interface Running {
  readonly id: number
  readonly request: DecodeRequest
  readonly requestPath: string
  resolve(reply: DecodeReply): void
  reject(error: GlideError): void
}

/** The file a request reads, for messages. */
function nameOf(request: DecodeRequest): string {
  return request.task === 'projectFile' ? request.label : request.fileName
}

/**
 * The one budget check main makes before sending: a PNG's header says its size in plain bytes, so
 * a picture past the editor's limits never reaches the decoder. Everything else (other formats,
 * every layer of a project) the decoder checks before decoding, and main checks its answer.
 */
function refuseOversizedPng(bytes: Uint8Array, fileName: string): void {
  const size = pngDimensions(bytes)
  if (!size) return
  const { width, height } = size
  if (width > maxDocumentSide || height > maxDocumentSide || width * height > maxImagePixels) {
    throw new GlideError(
      'IMAGE_TOO_LARGE',
      `${fileName} is ${width}×${height}; images may be at most ${maxDocumentSide} pixels a side.`,
    )
  }
}

/** What a request that the decoder could not finish reports: the kind of file it was. */
function failureCode(request: DecodeRequest): ErrorCode {
  if (request.task === 'projectFile') return 'PROJECT_INVALID'
  if (request.task === 'document' && /\.(glide|ora)$/i.test(extname(request.fileName))) {
    return 'PROJECT_INVALID'
  }
  return 'IMAGE_INVALID'
}

/**
 * Main's side of the document decoder: untrusted images and projects are decoded in a helper
 * process (an Electron utilityProcess, or a Node child), one request at a time. A decoder that
 * crashes, runs out of memory or hangs fails that request with a typed error and is replaced on
 * the next one; main itself never runs an image decoder on untrusted bytes. What comes back is
 * checked again here: the contract's shapes and the document pixel budget.
 */
export class DocumentDecoderClient implements DocumentDecoder {
  private child: ChildProcessHandle<ToDecoder> | null = null
  private ready: Promise<void> | null = null
  /** Private folder (0700) where request and reply frames are handed over. */
  private transferDir: string | null = null
  private running: Running | null = null
  private queue: Promise<unknown> = Promise.resolve()
  private nextId = 1
  private disposed = false
  private childPid: number | null = null

  constructor(
    private readonly launch: ChildLauncher<ToDecoder>,
    private readonly options: DecoderClientOptions = {},
  ) {}

  /** The decoder's process id once it has started (tests kill it to play a crash). */
  get pid(): number | null {
    return this.childPid
  }

  async decodeImage(bytes: Uint8Array, fileName: string): Promise<DecodedImage> {
    refuseOversizedPng(bytes, fileName)
    const reply = await this.request({ task: 'image', fileName, bytes })
    if (reply.kind !== 'image') throw this.malformed(fileName)
    return reply.image
  }

  async readDocument(bytes: Uint8Array, fileName: string): Promise<ProjectData> {
    refuseOversizedPng(bytes, fileName)
    return this.project(await this.request({ task: 'document', fileName, bytes }), fileName)
  }

  async readProjectFile(path: string, label: string): Promise<ProjectData> {
    return this.project(await this.request({ task: 'projectFile', path, label }), label)
  }

  dispose(): void {
    this.disposed = true
    this.child?.kill()
    this.child = null
    if (this.transferDir) rmSync(this.transferDir, { recursive: true, force: true })
    this.transferDir = null
  }

  private project(reply: DecodeReply, name: string): ProjectData {
    if (reply.kind !== 'project') throw this.malformed(name)
    const { project } = reply
    let pixels = project.mask ? project.mask.bounds.width * project.mask.bounds.height : 0
    for (const layer of project.layers) {
      const bounds = layer.pixels?.bounds
      if (bounds) pixels += bounds.width * bounds.height
    }
    if (pixels > maxDocumentPixels + maxImagePixels) {
      throw new GlideError('IMAGE_TOO_LARGE', `${name} holds more pixels than a document may.`)
    }
    return project
  }

  private malformed(name: string): GlideError {
    return new GlideError('INTERNAL', `The document decoder answered ${name} with the wrong kind.`)
  }

  /** One request at a time, in order; each gets the reply or a typed error. */
  private request(request: DecodeRequest): Promise<DecodeReply> {
    const result = this.queue.then(() => this.exchange(request))
    this.queue = result.catch(() => undefined)
    return result.then((reply) => {
      if (reply.kind === 'failed') throw new GlideError(reply.error.code, reply.error.message)
      return reply
    })
  }

  private async exchange(request: DecodeRequest): Promise<DecodeReply> {
    if (this.disposed) throw new GlideError('CANCELLED', 'The document decoder was shut down.')
    await this.start()
    const child = this.child
    if (!child) throw this.stopped(request, null)
    this.transferDir ??= mkdtempSync(join(tmpdir(), 'glide-decode-'))
    const id = this.nextId++
    const requestPath = join(this.transferDir, `request-${id}.frame`)
    const reply = new Promise<DecodeReply>((resolve, reject) => {
      this.running = { id, request, requestPath, resolve, reject }
    })
    // The reply may fail (the decoder died) while the request is still being written.
    reply.catch(() => undefined)
    const timer = setTimeout(() => {
      const running = this.running
      if (running?.id !== id) return
      this.running = null
      running.reject(
        new GlideError(
          failureCode(request),
          `${nameOf(request)} took too long to decode; it was abandoned.`,
        ),
      )
      child.kill()
    }, this.options.timeoutMs ?? 120_000)
    try {
      const totalBytes = await writeFrameFile(requestPath, request)
      if (this.running?.id === id) child.send({ type: 'frame', id, path: requestPath, totalBytes })
      return await reply
    } finally {
      clearTimeout(timer)
      if (this.running?.id === id) this.running = null
      await rm(requestPath, { force: true })
      await rm(replyPathFor(requestPath, id), { force: true })
    }
  }

  private start(): Promise<void> {
    if (this.child && this.ready) return this.ready
    let started!: () => void
    let failed!: (error: GlideError) => void
    this.ready = new Promise<void>((resolve, reject) => {
      started = resolve
      failed = reject
    })
    let exited = false
    const child = this.launch({
      onMessage: (raw) => {
        if (!exited && this.child === child) this.receive(raw, started)
      },
      onExit: (code) => {
        if (exited) return
        exited = true
        if (this.child !== child) return
        this.child = null
        this.ready = null
        this.childPid = null
        const running = this.running
        this.running = null
        const error = running ? this.stopped(running.request, code) : null
        if (running && error) running.reject(error)
        failed(new GlideError('INTERNAL', `The document decoder could not start (exit ${code}).`))
      },
    })
    this.child = child
    return this.ready
  }

  private stopped(request: DecodeRequest, code: number | null): GlideError {
    return new GlideError(
      failureCode(request),
      `${nameOf(request)} could not be decoded: the decoder stopped (exit code ${code ?? 'none'}). ` +
        'The file may be damaged or too demanding; nothing else was affected.',
    )
  }

  /** A message from the decoder; anything off protocol ends it (the request fails, typed). */
  private receive(raw: unknown, started: () => void): void {
    const parsed = zFromDecoder.safeParse(raw)
    const fault = (why: string) => {
      console.error(`document decoder: ${why}`)
      this.child?.kill()
    }
    if (!parsed.success) return fault(describeIssues(parsed.error, 1, 'message'))
    const message = parsed.data
    if (message.type === 'ready') {
      this.childPid = message.pid
      started()
      return
    }
    const running = this.running
    if (running?.id !== message.id) return fault(`a reply to ${message.id}, which was not asked`)
    // The reply's path is main's own choice, whatever the decoder might claim.
    void readFrameFile(replyPathFor(running.requestPath, running.id), message.totalBytes).then(
      (value) => {
        if (this.running !== running) return
        this.running = null
        const reply = zDecodeReply.safeParse(value)
        if (reply.success) running.resolve(reply.data)
        else {
          running.reject(
            new GlideError(
              'INTERNAL',
              `The document decoder's reply was malformed (${describeIssues(reply.error, 1, 'reply')}).`,
            ),
          )
        }
      },
      (error: unknown) => {
        if (this.running !== running) return
        fault(`unreadable reply (${(error as Error).message})`)
      },
    )
  }
}
