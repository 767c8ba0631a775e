import { createHash, type Hash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { dirname } from 'node:path'
import { GlideError } from '../../contract/errors'
import { syncDirectory } from '../storage/atomicWrite'

export interface DownloadOptions {
  /** Called as bytes arrive; `total` is undefined when the server does not say. */
  onProgress?: (received: number, total: number | undefined) => void
  /** Aborting stops the transfer (GlideError CANCELLED) and keeps the .part file for a resume. */
  signal?: AbortSignal
  /** Lowercase hex; a mismatch deletes the download and throws INTEGRITY_MISMATCH. */
  expectedSha256?: string
  /** Milliseconds without a byte before the connection counts as lost (default 60 s). */
  idleTimeoutMs?: number
  /**
   * The most bytes the file may have: a larger declared size is refused before anything is
   * written, and a transfer that goes past it is stopped and its .part deleted (DOWNLOAD_FAILED).
   */
  maxBytes?: number
  /**
   * Origins (`https://host[:port]`) a redirect may lead to; by default only the URL's own origin.
   * A redirect from https to http is never followed, whatever this says.
   */
  redirectOrigins?: readonly string[]
  /**
   * Test seam: opens the .part file (default fs/promises `open`). Tests hand in a handle whose
   * writes fail with ENOSPC to check what a full disk does; the app never sets it.
   */
  openPart?: (path: string, flags: 'w' | 'r+') => Promise<FileHandle>
}

export interface DownloadResult {
  readonly path: string
  readonly sha256: string
  readonly bytes: number
  /** True when an existing .part file was continued with a Range request. */
  readonly resumed: boolean
}

const maxRedirects = 5
const redirectStatuses = new Set([301, 302, 303, 307, 308])

function failed(message: string, cause?: unknown): GlideError {
  return new GlideError('DOWNLOAD_FAILED', message, { cause })
}

/** DOWNLOAD_FAILED for a file larger than expected: its .part is never worth resuming. */
class OversizeDownload extends GlideError {
  constructor(message: string) {
    super('DOWNLOAD_FAILED', message)
  }
}

function tooLarge(url: URL, what: string, maxBytes: number): OversizeDownload {
  return new OversizeDownload(
    `The file at ${url.href} ${what}, more than the ${megabytes(maxBytes)} expected; the download was stopped and deleted.`,
  )
}

function megabytes(bytes: number): string {
  return `${Math.max(1, Math.round(bytes / 1_000_000)).toLocaleString('en-US')} MB`
}

function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOSPC' || code === 'EDQUOT'
}

/** Maps file-system errors to DISK_FULL / IO_ERROR; passes GlideErrors through. */
function fileError(error: unknown, path: string): GlideError {
  if (error instanceof GlideError) return error
  if (isDiskFull(error)) {
    return new GlideError('DISK_FULL', `The disk is full while writing ${path}.`, { cause: error })
  }
  return new GlideError('IO_ERROR', `Cannot write ${path}: ${(error as Error).message}`, {
    cause: error,
  })
}

/** Why a redirect from `from` to `to` is not followed, or undefined when it may be. */
export function redirectRefusal(
  from: URL,
  to: URL,
  allowedOrigins: readonly string[],
): string | undefined {
  if (from.protocol === 'https:' && to.protocol !== 'https:') {
    return `it leaves https for ${to.protocol.replace(':', '')}`
  }
  if (!allowedOrigins.includes(to.origin)) {
    return `${to.origin} is not ${allowedOrigins.length > 1 ? 'one of ' : ''}${allowedOrigins.join(', ')}`
  }
  return undefined
}

/**
 * Sends one GET, following up to five redirects that stay on the allowed origins (never from
 * https to http); resolves with the final response.
 */
async function get(
  url: URL,
  headers: Record<string, string>,
  options: DownloadOptions,
): Promise<IncomingMessage> {
  const allowedOrigins = options.redirectOrigins ?? [url.origin]
  let current = url
  for (let redirects = 0; ; redirects += 1) {
    if (current.protocol !== 'https:' && current.protocol !== 'http:') {
      throw failed(`Refusing to download from ${current.protocol} URL ${current.href}.`)
    }
    const send = current.protocol === 'https:' ? httpsRequest : httpRequest
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const request = send(current, { method: 'GET', headers, signal: options.signal }, resolve)
      request.setTimeout(options.idleTimeoutMs ?? 60_000, () => {
        request.destroy(new Error('no response from the server'))
      })
      request.on('error', reject)
      request.end()
    }).catch((error: unknown) => {
      if (options.signal?.aborted) throw new GlideError('CANCELLED', 'The download was cancelled.')
      throw failed(`Cannot reach ${current.host}: ${(error as Error).message}`, error)
    })
    const status = response.statusCode ?? 0
    if (!redirectStatuses.has(status)) return response
    response.resume()
    const location = response.headers.location
    if (!location) throw failed(`HTTP ${status} from ${current.href} without a Location.`)
    if (redirects >= maxRedirects) throw failed(`Too many redirects downloading ${url.href}.`)
    let next: URL
    try {
      next = new URL(location, current)
    } catch {
      throw failed(`HTTP ${status} from ${current.href} with an unreadable Location.`)
    }
    const refusal = redirectRefusal(current, next, allowedOrigins)
    if (refusal) {
      throw failed(`Refusing the redirect from ${current.href} to ${next.href}: ${refusal}.`)
    }
    current = next
  }
}

async function hashFile(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size
  } catch {
    return 0
  }
}

/** Parses `bytes start-end/total` or `bytes *\/total`. */
function parseContentRange(value: string | undefined): { start?: number; total?: number } {
  const match = /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i.exec(value?.trim() ?? '')
  if (!match) return {}
  return {
    ...(match[1] !== undefined ? { start: Number(match[1]) } : {}),
    ...(match[2] !== undefined && match[2] !== '*' ? { total: Number(match[2]) } : {}),
  }
}

/**
 * Downloads `url` to `dest`: streams into `dest.part`, resumes an existing .part with an HTTP
 * Range request (a server that answers 200 restarts it cleanly), hashes the whole file with
 * SHA-256, fsyncs, then renames to `dest` atomically. A dropped connection throws
 * DOWNLOAD_FAILED and keeps the .part for the next call; ENOSPC throws DISK_FULL; a hash that
 * differs from `expectedSha256` throws INTEGRITY_MISMATCH and deletes the .part.
 */
export async function downloadFile(
  url: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw failed(`"${url}" is not a URL.`)
  }
  const part = `${dest}.part`
  try {
    await mkdir(dirname(dest), { recursive: true })
  } catch (error) {
    throw fileError(error, dirname(dest))
  }
  let existing = await fileSize(part)
  if (options.maxBytes !== undefined && existing > options.maxBytes) {
    await rm(part, { force: true })
    existing = 0
  }
  let outcome: TransferOutcome
  try {
    outcome = await transfer(parsed, part, existing, options)
    if (outcome === 'restart') {
      existing = 0
      outcome = await transfer(parsed, part, 0, options)
      if (outcome === 'restart')
        throw failed(`The server for ${parsed.href} does not serve ranges consistently.`)
    }
  } catch (error) {
    // A partial file that filled the disk only holds on to the space the user has to free.
    if (
      error instanceof OversizeDownload ||
      (error instanceof GlideError && error.code === 'DISK_FULL')
    ) {
      await rm(part, { force: true }).catch(() => undefined)
    }
    throw error
  }
  const { sha256, bytes } = outcome
  if (options.expectedSha256 && sha256 !== options.expectedSha256.toLowerCase()) {
    await rm(part, { force: true })
    throw new GlideError(
      'INTEGRITY_MISMATCH',
      `The file from ${parsed.href} has SHA-256 ${sha256}, not the expected ${options.expectedSha256}; it was deleted.`,
    )
  }
  try {
    await rename(part, dest)
    await syncDirectory(dirname(dest))
  } catch (error) {
    if (isDiskFull(error)) await rm(part, { force: true }).catch(() => undefined)
    throw fileError(error, dest)
  }
  return { path: dest, sha256, bytes, resumed: existing > 0 }
}

type TransferOutcome = { sha256: string; bytes: number } | 'restart'

/** One request: appends to (or restarts) the .part file; 'restart' asks for a fresh attempt. */
async function transfer(
  url: URL,
  part: string,
  existing: number,
  options: DownloadOptions,
): Promise<TransferOutcome> {
  const headers: Record<string, string> = {
    'user-agent': 'glide-studio',
    'accept-encoding': 'identity',
  }
  if (existing > 0) headers.range = `bytes=${existing}-`
  const response = await get(url, headers, options)
  const status = response.statusCode ?? 0

  let start: number
  let total: number | undefined
  if (existing > 0 && status === 416) {
    response.resume()
    const { total: remoteTotal } = parseContentRange(response.headers['content-range'])
    if (remoteTotal !== existing) {
      await rm(part, { force: true })
      return 'restart'
    }
    const hash = createHash('sha256')
    await hashFile(part, hash)
    return { sha256: hash.digest('hex'), bytes: existing }
  } else if (existing > 0 && status === 206) {
    const range = parseContentRange(response.headers['content-range'])
    if (range.start !== existing) {
      response.resume()
      await rm(part, { force: true })
      return 'restart'
    }
    start = existing
    total = range.total
  } else if (status === 200) {
    start = 0
    const length = Number(response.headers['content-length'])
    total = Number.isSafeInteger(length) && length >= 0 ? length : undefined
  } else {
    response.resume()
    throw failed(`HTTP ${status} downloading ${url.href}.`)
  }
  if (options.maxBytes !== undefined && total !== undefined && total > options.maxBytes) {
    response.destroy()
    await rm(part, { force: true })
    throw tooLarge(url, `is ${megabytes(total)}`, options.maxBytes)
  }

  const hash = createHash('sha256')
  let handle: FileHandle
  try {
    if (start > 0) await hashFile(part, hash)
    handle = await (options.openPart ?? open)(part, start > 0 ? 'r+' : 'w')
  } catch (error) {
    response.destroy()
    throw diskFullOr(error, part, total)
  }
  let received = start
  try {
    options.onProgress?.(received, total)
    try {
      for await (const chunk of response) {
        const bytes = chunk as Buffer
        if (options.maxBytes !== undefined && received + bytes.length > options.maxBytes) {
          response.destroy()
          throw tooLarge(url, 'goes on past that', options.maxBytes)
        }
        hash.update(bytes)
        let written = 0
        while (written < bytes.length) {
          const { bytesWritten } = await handle.write(
            bytes,
            written,
            bytes.length - written,
            received + written,
          )
          written += bytesWritten
        }
        received += bytes.length
        options.onProgress?.(received, total)
      }
    } catch (error) {
      if (error instanceof GlideError || (error as NodeJS.ErrnoException).syscall === 'write') {
        throw diskFullOr(error, part, total)
      }
      if (options.signal?.aborted) throw new GlideError('CANCELLED', 'The download was cancelled.')
      throw failed(
        `The connection to ${url.host} was lost after ${received} bytes; the partial download is kept and will resume.`,
        error,
      )
    }
    if (!response.complete || (total !== undefined && received !== total)) {
      throw failed(
        `The download from ${url.host} ended after ${received} of ${total ?? 'unknown'} bytes; the partial download is kept and will resume.`,
      )
    }
    await handle.truncate(received)
    await handle.sync()
  } catch (error) {
    throw error instanceof GlideError ? error : diskFullOr(error, part, total)
  } finally {
    await handle.close().catch(() => undefined)
  }
  return { sha256: hash.digest('hex'), bytes: received }
}

/** A full disk as a DISK_FULL error that says how much the file needs; other errors as fileError. */
function diskFullOr(error: unknown, part: string, total: number | undefined): GlideError {
  if (error instanceof GlideError || !isDiskFull(error)) return fileError(error, part)
  const needs = total === undefined ? '' : ` The file needs ${megabytes(total)}.`
  return new GlideError(
    'DISK_FULL',
    `The disk is full: the download into ${dirname(part)} could not be written.${needs} The partial download was deleted; free some space and try again.`,
    { cause: error },
  )
}
