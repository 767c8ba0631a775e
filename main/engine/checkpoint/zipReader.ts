import { open, type FileHandle } from 'node:fs/promises'
import { crc32, inflateRawSync } from 'node:zlib'
import { GlideError, type ErrorCode } from '../../../contract/errors'

/**
 * A read-only ZIP reader that works through a file descriptor at offsets: the central directory
 * (ZIP64 included) is parsed once, and entry bytes are read only when asked for. Nothing is ever
 * extracted to disk. Entry names are validated (no traversal, absolute paths, backslashes, NUL or
 * duplicates) so callers can treat them as plain keys.
 */

export const compressionStored = 0
export const compressionDeflate = 8

export interface ZipEntry {
  readonly name: string
  /** 0 = stored, 8 = deflate; anything else is refused when read. */
  readonly compressionMethod: number
  readonly compressedSize: number
  readonly uncompressedSize: number
  readonly crc32: number
  /** Where the entry's (possibly compressed) bytes start in the file. */
  readonly dataOffset: number
}

export interface ZipReaderOptions {
  /** The error code for a malformed archive (default CHECKPOINT_CORRUPT). */
  readonly corruptCode?: ErrorCode
  /** A label for messages, e.g. the file name. */
  readonly label?: string
  /** Refuse archives with more entries than this (default 100 000). */
  readonly maxEntries?: number
  /** Refuse a central directory larger than this many bytes (default 64 MiB). */
  readonly maxCentralDirectoryBytes?: number
}

const eocdSignature = 0x06054b50
const zip64LocatorSignature = 0x07064b50
const zip64EocdSignature = 0x06064b50
const centralHeaderSignature = 0x02014b50
const localHeaderSignature = 0x04034b50
const eocdMinSize = 22
const maxCommentSize = 0xffff
const flagEncrypted = 0x0001
const flagStrongEncryption = 0x0040
const flagDataDescriptor = 0x0008

/** An open ZIP archive. Call close() when done. */
export class ZipReader {
  private constructor(
    private readonly handle: FileHandle,
    readonly fileSize: number,
    private readonly entryByName: Map<string, ZipEntry>,
    private readonly corruptCode: ErrorCode,
    private readonly label: string,
  ) {}

  /** Opens a ZIP file and reads its central directory; throws GlideError if it is not a valid ZIP. */
  static async open(path: string, options: ZipReaderOptions = {}): Promise<ZipReader> {
    const corruptCode = options.corruptCode ?? 'CHECKPOINT_CORRUPT'
    const label = options.label ?? path
    let handle: FileHandle
    try {
      handle = await open(path, 'r')
    } catch (error) {
      throw new GlideError('IO_ERROR', `Cannot open ${label}: ${(error as Error).message}`, {
        cause: error,
      })
    }
    try {
      const fileSize = (await handle.stat()).size
      const entries = await readCentralDirectory(handle, fileSize, corruptCode, label, options)
      return new ZipReader(handle, fileSize, entries, corruptCode, label)
    } catch (error) {
      await handle.close()
      throw error
    }
  }

  /** Every entry, in central-directory order. */
  entries(): ZipEntry[] {
    return [...this.entryByName.values()]
  }

  entry(name: string): ZipEntry | undefined {
    return this.entryByName.get(name)
  }

  /**
   * Reads `length` bytes of a stored entry starting `offset` bytes into it. Only stored entries can
   * be read by range; compressed entries must be read whole with readEntry.
   */
  async readRange(entry: ZipEntry, offset: number, length: number): Promise<Uint8Array> {
    if (entry.compressionMethod !== compressionStored) {
      throw new GlideError(
        this.corruptCode,
        `${this.label}: entry ${entry.name} is compressed and cannot be read by range`,
      )
    }
    if (offset < 0 || length < 0 || offset + length > entry.uncompressedSize) {
      throw new GlideError(
        this.corruptCode,
        `${this.label}: range ${offset}+${length} lies outside entry ${entry.name}`,
      )
    }
    return this.readAt(entry.dataOffset + offset, length, `entry ${entry.name}`)
  }

  /**
   * Reads a whole entry, inflating it if it is deflated, and checks its CRC-32. `maxBytes` caps the
   * uncompressed size so a small archive cannot expand into gigabytes.
   */
  async readEntry(entry: ZipEntry, maxBytes: number): Promise<Uint8Array> {
    if (entry.uncompressedSize > maxBytes) {
      throw new GlideError(
        this.corruptCode,
        `${this.label}: entry ${entry.name} is ${entry.uncompressedSize} bytes, more than the ${maxBytes} allowed`,
      )
    }
    let bytes: Uint8Array
    if (entry.compressionMethod === compressionStored) {
      bytes = await this.readAt(entry.dataOffset, entry.uncompressedSize, `entry ${entry.name}`)
    } else if (entry.compressionMethod === compressionDeflate) {
      const compressed = await this.readAt(
        entry.dataOffset,
        entry.compressedSize,
        `entry ${entry.name}`,
      )
      try {
        bytes = inflateRawSync(compressed, { maxOutputLength: Math.max(1, entry.uncompressedSize) })
      } catch (error) {
        throw new GlideError(
          this.corruptCode,
          `${this.label}: entry ${entry.name} does not inflate`,
          {
            cause: error,
          },
        )
      }
      if (bytes.length !== entry.uncompressedSize) {
        throw new GlideError(
          this.corruptCode,
          `${this.label}: entry ${entry.name} inflates to ${bytes.length} bytes, not ${entry.uncompressedSize}`,
        )
      }
    } else {
      throw new GlideError(
        this.corruptCode,
        `${this.label}: entry ${entry.name} uses unsupported compression method ${entry.compressionMethod}`,
      )
    }
    if (crc32(bytes) >>> 0 !== entry.crc32) {
      throw new GlideError(
        this.corruptCode,
        `${this.label}: entry ${entry.name} fails its CRC-32 check`,
      )
    }
    return bytes
  }

  async close(): Promise<void> {
    await this.handle.close()
  }

  private async readAt(position: number, length: number, what: string): Promise<Uint8Array> {
    return readExactly(this.handle, position, length, this.corruptCode, `${this.label}: ${what}`)
  }
}

/** Reads exactly `length` bytes at `position` into a fresh, 8-byte-aligned buffer. */
async function readExactly(
  handle: FileHandle,
  position: number,
  length: number,
  corruptCode: ErrorCode,
  what: string,
): Promise<Uint8Array> {
  const bytes = new Uint8Array(new ArrayBuffer(length))
  let done = 0
  while (done < length) {
    let bytesRead: number
    try {
      ;({ bytesRead } = await handle.read(bytes, done, length - done, position + done))
    } catch (error) {
      throw new GlideError('IO_ERROR', `${what}: read failed: ${(error as Error).message}`, {
        cause: error,
      })
    }
    if (bytesRead === 0) {
      throw new GlideError(corruptCode, `${what} is truncated (the file ends early)`)
    }
    done += bytesRead
  }
  return bytes
}

async function readCentralDirectory(
  handle: FileHandle,
  fileSize: number,
  corruptCode: ErrorCode,
  label: string,
  options: ZipReaderOptions,
): Promise<Map<string, ZipEntry>> {
  const corrupt = (message: string): GlideError =>
    new GlideError(corruptCode, `${label}: ${message}`)
  if (fileSize < eocdMinSize) throw corrupt('not a ZIP archive (too short)')

  const tailLength = Math.min(fileSize, eocdMinSize + maxCommentSize)
  const tailStart = fileSize - tailLength
  const tail = await readExactly(handle, tailStart, tailLength, corruptCode, label)
  const tailView = new DataView(tail.buffer)
  let eocdAt = -1
  for (let at = tailLength - eocdMinSize; at >= 0; at -= 1) {
    if (tailView.getUint32(at, true) !== eocdSignature) continue
    const commentLength = tailView.getUint16(at + 20, true)
    if (at + eocdMinSize + commentLength === tailLength) {
      eocdAt = at
      break
    }
  }
  if (eocdAt < 0) throw corrupt('not a ZIP archive, or truncated (no end of central directory)')

  const diskNumber = tailView.getUint16(eocdAt + 4, true)
  const centralDisk = tailView.getUint16(eocdAt + 6, true)
  let entriesOnDisk: number = tailView.getUint16(eocdAt + 8, true)
  let entryCount: number = tailView.getUint16(eocdAt + 10, true)
  let centralSize: number = tailView.getUint32(eocdAt + 12, true)
  let centralOffset: number = tailView.getUint32(eocdAt + 16, true)

  const needsZip64 =
    entryCount === 0xffff || centralSize === 0xffffffff || centralOffset === 0xffffffff
  const locatorAt = tailStart + eocdAt - 20
  if (needsZip64) {
    if (locatorAt < 0) throw corrupt('ZIP64 locator missing')
    const locator = new DataView(
      (await readExactly(handle, locatorAt, 20, corruptCode, label)).buffer,
    )
    if (locator.getUint32(0, true) !== zip64LocatorSignature) throw corrupt('ZIP64 locator missing')
    if (locator.getUint32(16, true) > 1) throw corrupt('multi-disk archives are not supported')
    const zip64EocdOffset = safeNumber(locator.getBigUint64(8, true), corrupt)
    if (zip64EocdOffset + 56 > locatorAt) throw corrupt('ZIP64 end record lies outside the file')
    const record = new DataView(
      (await readExactly(handle, zip64EocdOffset, 56, corruptCode, label)).buffer,
    )
    if (record.getUint32(0, true) !== zip64EocdSignature) throw corrupt('ZIP64 end record missing')
    if (record.getUint32(16, true) !== 0 || record.getUint32(20, true) !== 0) {
      throw corrupt('multi-disk archives are not supported')
    }
    entriesOnDisk = safeNumber(record.getBigUint64(24, true), corrupt)
    entryCount = safeNumber(record.getBigUint64(32, true), corrupt)
    centralSize = safeNumber(record.getBigUint64(40, true), corrupt)
    centralOffset = safeNumber(record.getBigUint64(48, true), corrupt)
  } else if (diskNumber !== 0 || centralDisk !== 0) {
    throw corrupt('multi-disk archives are not supported')
  }
  if (entriesOnDisk !== entryCount) throw corrupt('multi-disk archives are not supported')

  const maxEntries = options.maxEntries ?? 100_000
  const maxCentral = options.maxCentralDirectoryBytes ?? 64 * 1024 * 1024
  if (entryCount > maxEntries) throw corrupt(`too many entries (${entryCount})`)
  if (centralSize > maxCentral) throw corrupt(`central directory too large (${centralSize} bytes)`)
  if (centralOffset + centralSize > fileSize) {
    throw corrupt('the central directory lies outside the file (truncated?)')
  }

  const central = await readExactly(handle, centralOffset, centralSize, corruptCode, label)
  const view = new DataView(central.buffer)
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const entries = new Map<string, ZipEntry>()
  const spans: Array<{ start: number; end: number; name: string }> = []
  let at = 0
  for (let index = 0; index < entryCount; index += 1) {
    if (at + 46 > centralSize || view.getUint32(at, true) !== centralHeaderSignature) {
      throw corrupt(`central directory entry ${index} is malformed`)
    }
    const flags = view.getUint16(at + 8, true)
    const compressionMethod = view.getUint16(at + 10, true)
    const crc = view.getUint32(at + 16, true)
    let compressedSize: number = view.getUint32(at + 20, true)
    let uncompressedSize: number = view.getUint32(at + 24, true)
    const nameLength = view.getUint16(at + 28, true)
    const extraLength = view.getUint16(at + 30, true)
    const commentLength = view.getUint16(at + 32, true)
    const diskStart = view.getUint16(at + 34, true)
    let localOffset: number = view.getUint32(at + 42, true)
    const nameStart = at + 46
    const extraStart = nameStart + nameLength
    const next = extraStart + extraLength + commentLength
    if (next > centralSize) throw corrupt(`central directory entry ${index} is malformed`)

    let name: string
    try {
      name = decoder.decode(central.subarray(nameStart, extraStart))
    } catch {
      throw corrupt(`entry ${index} has a name that is not UTF-8`)
    }
    checkEntryName(name, corrupt)
    if (flags & (flagEncrypted | flagStrongEncryption)) throw corrupt(`entry ${name} is encrypted`)

    const zip64 = readZip64Extra(
      view,
      extraStart,
      extraLength,
      {
        uncompressed: uncompressedSize === 0xffffffff,
        compressed: compressedSize === 0xffffffff,
        offset: localOffset === 0xffffffff,
        disk: diskStart === 0xffff,
      },
      corrupt,
      name,
    )
    uncompressedSize = zip64.uncompressed ?? uncompressedSize
    compressedSize = zip64.compressed ?? compressedSize
    localOffset = zip64.offset ?? localOffset
    if ((zip64.disk ?? diskStart) !== 0) throw corrupt('multi-disk archives are not supported')
    if (compressionMethod === compressionStored && compressedSize !== uncompressedSize) {
      throw corrupt(`stored entry ${name} has different compressed and uncompressed sizes`)
    }
    if (entries.has(name)) throw corrupt(`duplicate entry ${name}`)

    const dataOffset = await checkLocalHeader(
      handle,
      localOffset,
      { name, compressionMethod, crc32: crc, compressedSize, uncompressedSize },
      { corruptCode, label, corrupt },
    )
    if (dataOffset + compressedSize > centralOffset) {
      throw corrupt(`entry ${name} runs past the start of the central directory (truncated?)`)
    }
    spans.push({ start: localOffset, end: dataOffset + compressedSize, name })
    entries.set(name, {
      name,
      compressionMethod,
      compressedSize,
      uncompressedSize,
      crc32: crc,
      dataOffset,
    })
    at = next
  }

  spans.sort((a, b) => a.start - b.start)
  for (let index = 1; index < spans.length; index += 1) {
    const previous = spans[index - 1]!
    const current = spans[index]!
    if (current.start < previous.end) {
      throw corrupt(`entries ${previous.name} and ${current.name} overlap`)
    }
  }
  return entries
}

function checkEntryName(name: string, corrupt: (message: string) => GlideError): void {
  if (
    name.length === 0 ||
    name.includes('\0') ||
    name.includes('\\') ||
    name.startsWith('/') ||
    /^[A-Za-z]:/.test(name) ||
    name.split('/').some((part) => part === '..' || part === '.')
  ) {
    throw corrupt(`entry name ${JSON.stringify(name)} is not a safe relative path`)
  }
}

function readZip64Extra(
  view: DataView,
  start: number,
  length: number,
  wanted: { uncompressed: boolean; compressed: boolean; offset: boolean; disk: boolean },
  corrupt: (message: string) => GlideError,
  name: string,
): { uncompressed?: number; compressed?: number; offset?: number; disk?: number } {
  const result: { uncompressed?: number; compressed?: number; offset?: number; disk?: number } = {}
  if (!wanted.uncompressed && !wanted.compressed && !wanted.offset && !wanted.disk) return result
  let at = start
  const end = start + length
  while (at + 4 <= end) {
    const id = view.getUint16(at, true)
    const size = view.getUint16(at + 2, true)
    const bodyEnd = at + 4 + size
    if (bodyEnd > end) break
    if (id === 0x0001) {
      let field = at + 4
      const take64 = (): number => {
        if (field + 8 > bodyEnd) throw corrupt(`entry ${name} has a short ZIP64 extra field`)
        const value = safeNumber(view.getBigUint64(field, true), corrupt)
        field += 8
        return value
      }
      if (wanted.uncompressed) result.uncompressed = take64()
      if (wanted.compressed) result.compressed = take64()
      if (wanted.offset) result.offset = take64()
      if (wanted.disk) {
        if (field + 4 > bodyEnd) throw corrupt(`entry ${name} has a short ZIP64 extra field`)
        result.disk = view.getUint32(field, true)
      }
      return result
    }
    at = bodyEnd
  }
  throw corrupt(`entry ${name} needs a ZIP64 extra field and has none`)
}

async function checkLocalHeader(
  handle: FileHandle,
  localOffset: number,
  central: Omit<ZipEntry, 'dataOffset'>,
  context: {
    corruptCode: ErrorCode
    label: string
    corrupt: (message: string) => GlideError
  },
): Promise<number> {
  const { name } = central
  const header = await readExactly(
    handle,
    localOffset,
    30,
    context.corruptCode,
    `${context.label}: local header of ${name}`,
  )
  const view = new DataView(header.buffer)
  const disagrees = (): GlideError =>
    context.corrupt(`local header of ${name} disagrees with the central directory`)
  if (view.getUint32(0, true) !== localHeaderSignature) {
    throw context.corrupt(`local header of ${name} is missing`)
  }
  const flags = view.getUint16(6, true)
  if (flags & (flagEncrypted | flagStrongEncryption))
    throw context.corrupt(`entry ${name} is encrypted`)
  if (view.getUint16(8, true) !== central.compressionMethod) throw disagrees()
  // Without a data descriptor the local header carries the real CRC and sizes (0xffffffff = ZIP64).
  if ((flags & flagDataDescriptor) === 0) {
    const localCompressed = view.getUint32(18, true)
    const localUncompressed = view.getUint32(22, true)
    if (
      view.getUint32(14, true) !== central.crc32 ||
      (localCompressed !== 0xffffffff && localCompressed !== central.compressedSize) ||
      (localUncompressed !== 0xffffffff && localUncompressed !== central.uncompressedSize)
    ) {
      throw disagrees()
    }
  }
  const nameLength = view.getUint16(26, true)
  const extraLength = view.getUint16(28, true)
  const localName = await readExactly(
    handle,
    localOffset + 30,
    nameLength,
    context.corruptCode,
    `${context.label}: local header of ${name}`,
  )
  if (Buffer.from(localName).toString('utf8') !== name) {
    throw context.corrupt(`local header of ${name} names a different entry`)
  }
  return localOffset + 30 + nameLength + extraLength
}

function safeNumber(value: bigint, corrupt: (message: string) => GlideError): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt('a ZIP64 field is out of range')
  return Number(value)
}
