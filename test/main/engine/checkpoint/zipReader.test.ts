import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deflateRawSync, crc32 } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { GlideError } from '../../../../contract/errors'
import { ZipReader } from '../../../../main/engine/checkpoint/zipReader'

interface BuildEntry {
  name: string
  data: Uint8Array
  deflate?: boolean
  /** Overrides the name written in the local header. */
  localName?: string
  /** Overrides the offset the central directory records. */
  offset?: number
}

/** Writes a ZIP archive by hand; `zip64` stores sizes, offsets and counts in ZIP64 records. */
function buildZip(entries: BuildEntry[], { zip64 = false } = {}): Buffer {
  const parts: Buffer[] = []
  const central: Buffer[] = []
  let at = 0
  for (const entry of entries) {
    const stored = entry.deflate ? deflateRawSync(entry.data) : Buffer.from(entry.data)
    const localName = Buffer.from(entry.localName ?? entry.name)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(entry.deflate ? 8 : 0, 8)
    local.writeUInt32LE(crc32(entry.data), 14)
    local.writeUInt32LE(stored.length, 18)
    local.writeUInt32LE(entry.data.length, 22)
    local.writeUInt16LE(localName.length, 26)
    const offset = entry.offset ?? at
    parts.push(local, localName, stored)
    at += local.length + localName.length + stored.length

    const name = Buffer.from(entry.name)
    const extra = Buffer.alloc(zip64 ? 28 : 0)
    if (zip64) {
      extra.writeUInt16LE(0x0001, 0)
      extra.writeUInt16LE(24, 2)
      extra.writeBigUInt64LE(BigInt(entry.data.length), 4)
      extra.writeBigUInt64LE(BigInt(stored.length), 12)
      extra.writeBigUInt64LE(BigInt(offset), 20)
    }
    const header = Buffer.alloc(46)
    header.writeUInt32LE(0x02014b50, 0)
    header.writeUInt16LE(45, 4)
    header.writeUInt16LE(45, 6)
    header.writeUInt16LE(entry.deflate ? 8 : 0, 10)
    header.writeUInt32LE(crc32(entry.data), 16)
    header.writeUInt32LE(zip64 ? 0xffffffff : stored.length, 20)
    header.writeUInt32LE(zip64 ? 0xffffffff : entry.data.length, 24)
    header.writeUInt16LE(name.length, 28)
    header.writeUInt16LE(extra.length, 30)
    header.writeUInt32LE(zip64 ? 0xffffffff : offset, 42)
    central.push(header, name, extra)
  }
  const centralBytes = Buffer.concat(central)
  const centralOffset = at
  const tail: Buffer[] = [centralBytes]
  if (zip64) {
    const record = Buffer.alloc(56)
    record.writeUInt32LE(0x06064b50, 0)
    record.writeBigUInt64LE(44n, 4)
    record.writeBigUInt64LE(BigInt(entries.length), 24)
    record.writeBigUInt64LE(BigInt(entries.length), 32)
    record.writeBigUInt64LE(BigInt(centralBytes.length), 40)
    record.writeBigUInt64LE(BigInt(centralOffset), 48)
    const locator = Buffer.alloc(20)
    locator.writeUInt32LE(0x07064b50, 0)
    locator.writeBigUInt64LE(BigInt(centralOffset + centralBytes.length), 8)
    locator.writeUInt32LE(1, 16)
    tail.push(record, locator)
  }
  const eocd = Buffer.alloc(22)
  eocd.writeUInt32LE(0x06054b50, 0)
  eocd.writeUInt16LE(zip64 ? 0xffff : entries.length, 8)
  eocd.writeUInt16LE(zip64 ? 0xffff : entries.length, 10)
  eocd.writeUInt32LE(zip64 ? 0xffffffff : centralBytes.length, 12)
  eocd.writeUInt32LE(zip64 ? 0xffffffff : centralOffset, 16)
  tail.push(eocd)
  return Buffer.concat([...parts, ...tail])
}

const workDir = mkdtempSync(join(tmpdir(), 'zip-reader-'))
afterAll(() => rmSync(workDir, { recursive: true, force: true }))
let counter = 0
function writeTemp(bytes: Uint8Array): string {
  const path = join(workDir, `archive-${counter++}.zip`)
  writeFileSync(path, bytes)
  return path
}

const text = (value: string): Uint8Array => new TextEncoder().encode(value)

async function openFailure(bytes: Uint8Array): Promise<GlideError> {
  try {
    const zip = await ZipReader.open(writeTemp(bytes))
    await zip.close()
  } catch (error) {
    expect(error).toBeInstanceOf(GlideError)
    return error as GlideError
  }
  throw new Error('the archive was accepted')
}

describe('ZipReader', () => {
  for (const zip64 of [false, true]) {
    it(`reads stored and deflated entries and byte ranges (${zip64 ? 'ZIP64' : 'classic'})`, async () => {
      const big = new Uint8Array(5000).map((_, index) => index % 251)
      const path = writeTemp(
        buildZip(
          [
            { name: 'root/a.txt', data: text('hello') },
            { name: 'root/data/0', data: big },
            { name: 'root/deflated.json', data: text('{"x":1}'.repeat(100)), deflate: true },
          ],
          { zip64 },
        ),
      )
      const zip = await ZipReader.open(path)
      try {
        expect(zip.entries().map((entry) => entry.name)).toEqual([
          'root/a.txt',
          'root/data/0',
          'root/deflated.json',
        ])
        expect(new TextDecoder().decode(await zip.readEntry(zip.entry('root/a.txt')!, 100))).toBe(
          'hello',
        )
        const range = await zip.readRange(zip.entry('root/data/0')!, 1000, 10)
        expect(Array.from(range)).toEqual(Array.from(big.subarray(1000, 1010)))
        const inflated = await zip.readEntry(zip.entry('root/deflated.json')!, 10_000)
        expect(new TextDecoder().decode(inflated)).toBe('{"x":1}'.repeat(100))
        await expect(zip.readEntry(zip.entry('root/deflated.json')!, 100)).rejects.toThrow(
          /more than the 100 allowed/,
        )
        await expect(zip.readRange(zip.entry('root/deflated.json')!, 0, 1)).rejects.toThrow(
          /compressed/,
        )
        await expect(zip.readRange(zip.entry('root/data/0')!, 4990, 20)).rejects.toThrow(/outside/)
      } finally {
        await zip.close()
      }
    })
  }

  it('refuses names that escape or are absolute', async () => {
    for (const name of ['../evil', 'root/../../evil', '/etc/passwd', 'root\\evil', 'C:/x']) {
      const error = await openFailure(buildZip([{ name, data: text('x') }]))
      expect(error.code).toBe('CHECKPOINT_CORRUPT')
      expect(error.message).toContain('not a safe relative path')
    }
  })

  it('refuses duplicate names', async () => {
    const error = await openFailure(
      buildZip([
        { name: 'root/a', data: text('1') },
        { name: 'root/a', data: text('2') },
      ]),
    )
    expect(error.message).toContain('duplicate entry root/a')
  })

  it('refuses a local header that names another entry', async () => {
    const error = await openFailure(
      buildZip([{ name: 'root/a', localName: 'root/b', data: text('1') }]),
    )
    expect(error.message).toContain('names a different entry')
  })

  it('refuses overlapping entries', async () => {
    // root/a's data holds a well-formed local header for root/b, which the directory points into.
    const hiddenHeader = Buffer.alloc(30 + 'root/b'.length + 1)
    hiddenHeader.writeUInt32LE(0x04034b50, 0)
    hiddenHeader.writeUInt16LE(0x0008, 6) // sizes and CRC in a data descriptor
    hiddenHeader.writeUInt16LE('root/b'.length, 26)
    hiddenHeader.write('root/bx', 30)
    const error = await openFailure(
      buildZip([
        { name: 'root/a', data: hiddenHeader },
        { name: 'root/b', data: text('x'), offset: 30 + 'root/a'.length },
      ]),
    )
    expect(error.code).toBe('CHECKPOINT_CORRUPT')
    expect(error.message).toContain('overlap')
  })

  it('refuses a local header whose sizes disagree with the central directory', async () => {
    const bytes = buildZip([{ name: 'root/a', data: text('abcdef') }])
    bytes.writeUInt32LE(3, 22)
    expect((await openFailure(bytes)).message).toContain('disagrees with the central directory')
  })

  it('detects a CRC mismatch', async () => {
    const bytes = buildZip([{ name: 'root/a', data: text('abcdef') }])
    bytes[30 + 'root/a'.length] = 0x7a
    const zip = await ZipReader.open(writeTemp(bytes))
    await expect(zip.readEntry(zip.entry('root/a')!, 100)).rejects.toThrow(/CRC-32/)
    await zip.close()
  })

  it('rejects a truncated archive and an empty file', async () => {
    const bytes = buildZip([{ name: 'root/a', data: new Uint8Array(1000) }])
    expect((await openFailure(bytes.subarray(0, bytes.length - 10))).message).toMatch(/truncated/)
    expect((await openFailure(new Uint8Array(0))).message).toMatch(/too short/)
  })
})
