import { randomBytes } from 'node:crypto'
import * as fsPromises from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** The file-system calls an atomic write makes; tests swap in failing ones. */
export interface AtomicWriteFs {
  open: typeof fsPromises.open
  rename: typeof fsPromises.rename
  rm: typeof fsPromises.rm
}

const retryableRenameCodes = new Set(['EPERM', 'EBUSY', 'EACCES'])

/**
 * Replaces `target` with `data` so that a crash or failure at any point leaves either the old file
 * or the new one, never a torn one: write a temp file in the same directory, fsync it, rename it
 * over the target, fsync the directory. On failure the temp file is removed and the error
 * rethrown. Renames that Windows refuses transiently (antivirus, indexer) are retried.
 */
export async function writeFileAtomic(
  target: string,
  content: string | Uint8Array,
  fs: AtomicWriteFs = fsPromises,
): Promise<void> {
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content
  const directory = dirname(target)
  const temp = join(directory, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const handle = await fs.open(temp, 'wx', 0o644)
    try {
      let written = 0
      while (written < data.byteLength) {
        const { bytesWritten } = await handle.write(data, written, data.byteLength - written)
        if (bytesWritten <= 0) throw new Error('write made no progress')
        written += bytesWritten
      }
      await handle.sync()
    } finally {
      await handle.close()
    }
    await renameWithRetry(fs, temp, target)
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined)
    throw error
  }
  await syncDirectory(directory, fs)
}

async function renameWithRetry(fs: AtomicWriteFs, from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.rename(from, to)
      return
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? ''
      if (attempt >= 4 || !retryableRenameCodes.has(code) || process.platform !== 'win32')
        throw error
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt))
    }
  }
}

/** Makes a rename in `directory` durable; not possible on Windows, where opening a directory fails. */
export async function syncDirectory(
  directory: string,
  fs: Pick<AtomicWriteFs, 'open'> = fsPromises,
): Promise<void> {
  if (process.platform === 'win32') return
  try {
    const handle = await fs.open(directory, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // Some file systems refuse fsync on directories; the data itself is already synced.
  }
}
