import { randomBytes } from 'node:crypto'
import * as fsPromises from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { maxNameBytes, truncateUtf8 } from './fileNames'

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
  const temp = join(directory, tempFileName(basename(target)))
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

const tempSuffixPattern = /\.[0-9a-f]{12}\.tmp$/
/** `.` + random hex + `.tmp` around the target's name. */
const tempOverheadBytes = 1 + 1 + 12 + 4

/**
 * `.NAME.<12 hex>.tmp`, with NAME shortened so the whole fits 255 bytes: a legal 250-byte target
 * name must not fail with ENAMETOOLONG because of its temp file.
 */
export function tempFileName(targetName: string): string {
  const stem = truncateUtf8(targetName, maxNameBytes - tempOverheadBytes)
  return `.${stem}.${randomBytes(6).toString('hex')}.tmp`
}

export function isTempFileName(name: string): boolean {
  return name.startsWith('.') && tempSuffixPattern.test(name)
}

/**
 * Removes temp files that writes killed mid-way left behind (a crash, a kill -9, power loss) in
 * `directory`: only names this module makes, only plain files, only those older than
 * `olderThanMs` (a write in progress elsewhere is younger). Returns how many it removed.
 */
export async function removeStaleTempFiles(
  directory: string,
  olderThanMs = 10 * 60_000,
  now = Date.now(),
  /** only the temp files of this target name */
  targetName?: string,
): Promise<number> {
  const prefix =
    targetName === undefined
      ? ''
      : `.${truncateUtf8(targetName, maxNameBytes - tempOverheadBytes)}.`
  let names: string[]
  try {
    names = await fsPromises.readdir(directory)
  } catch {
    return 0
  }
  let removed = 0
  for (const name of names) {
    if (!isTempFileName(name) || !name.startsWith(prefix)) continue
    const path = join(directory, name)
    try {
      const info = await fsPromises.lstat(path)
      if (!info.isFile() || now - info.mtimeMs < olderThanMs) continue
      await fsPromises.rm(path, { force: true })
      removed++
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed
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
