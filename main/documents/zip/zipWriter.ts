import { crc32, deflateRawSync } from 'node:zlib'

/**
 * A small in-memory ZIP writer: stored or deflated entries, no ZIP64 (archives and entries stay
 * under 4 GiB, which a project with 256 layers of 8192² PNGs cannot reach compressed). Reading is
 * done by the checkpoint reader in main/engine/checkpoint/zipReader.ts, which validates names and
 * caps sizes.
 */

export interface ZipEntryInput {
  readonly name: string
  readonly data: Uint8Array
  /** stored: as-is (OpenRaster's mimetype must be); deflate: compressed when that helps */
  readonly method?: 'stored' | 'deflate'
}

const localHeaderSignature = 0x04034b50
const centralHeaderSignature = 0x02014b50
const endSignature = 0x06054b50
const utf8Flag = 0x0800
const maxUint32 = 0xffffffff

/** A fixed DOS timestamp (1980-01-01) keeps archives byte-reproducible. */
const dosTime = 0
const dosDate = (0 << 9) | (1 << 5) | 1

export function writeZip(entries: readonly ZipEntryInput[]): Uint8Array {
  const names = new Set<string>()
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const entry of entries) {
    if (names.has(entry.name)) throw new Error(`duplicate zip entry ${entry.name}`)
    names.add(entry.name)
    const name = Buffer.from(entry.name, 'utf8')
    const checksum = crc32(entry.data) >>> 0
    let method = 0
    let payload: Uint8Array = entry.data
    if (entry.method !== 'stored' && entry.data.byteLength > 0) {
      const deflated = deflateRawSync(entry.data, { level: 6 })
      if (deflated.byteLength < entry.data.byteLength) {
        method = 8
        payload = deflated
      }
    }
    if (entry.data.byteLength > maxUint32 || offset > maxUint32) {
      throw new RangeError('zip archive too large (no ZIP64 support)')
    }
    const local = Buffer.alloc(30 + name.length)
    local.writeUInt32LE(localHeaderSignature, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(utf8Flag, 6)
    local.writeUInt16LE(method, 8)
    local.writeUInt16LE(dosTime, 10)
    local.writeUInt16LE(dosDate, 12)
    local.writeUInt32LE(checksum, 14)
    local.writeUInt32LE(payload.byteLength, 18)
    local.writeUInt32LE(entry.data.byteLength, 22)
    local.writeUInt16LE(name.length, 26)
    local.writeUInt16LE(0, 28)
    name.copy(local, 30)

    const central = Buffer.alloc(46 + name.length)
    central.writeUInt32LE(centralHeaderSignature, 0)
    central.writeUInt16LE(20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(utf8Flag, 8)
    central.writeUInt16LE(method, 10)
    central.writeUInt16LE(dosTime, 12)
    central.writeUInt16LE(dosDate, 14)
    central.writeUInt32LE(checksum, 16)
    central.writeUInt32LE(payload.byteLength, 20)
    central.writeUInt32LE(entry.data.byteLength, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE(offset, 42)
    name.copy(central, 46)

    locals.push(local, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength))
    centrals.push(central)
    offset += local.length + payload.byteLength
  }
  const centralSize = centrals.reduce((sum, part) => sum + part.length, 0)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(endSignature, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(centralSize, 12)
  end.writeUInt32LE(offset, 16)
  const archive = Buffer.concat([...locals, ...centrals, end])
  return new Uint8Array(archive.buffer, archive.byteOffset, archive.byteLength)
}
