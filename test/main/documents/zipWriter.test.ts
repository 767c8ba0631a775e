import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ZipReader } from '../../../main/engine/checkpoint/zipReader'
import { writeZip } from '../../../main/documents/zip/zipWriter'
import { noise, tempDirectory } from './fixtures'

describe('writeZip', () => {
  it('round-trips stored and deflated entries through the zip reader', async () => {
    const text = Buffer.from('hello '.repeat(1000))
    const random = noise(5000, 1)
    const zip = writeZip([
      { name: 'mimetype', data: Buffer.from('image/openraster'), method: 'stored' },
      { name: 'dir/text.txt', data: text },
      { name: 'random.bin', data: random },
      { name: 'empty', data: new Uint8Array(0) },
    ])
    const path = join(await tempDirectory(), 'a.zip')
    await writeFile(path, zip)
    const reader = await ZipReader.open(path, { corruptCode: 'PROJECT_INVALID' })
    try {
      expect(reader.entries().map((entry) => [entry.name, entry.compressionMethod])).toEqual([
        ['mimetype', 0],
        ['dir/text.txt', 8],
        ['random.bin', 0],
        ['empty', 0],
      ])
      expect(
        Buffer.from(await reader.readEntry(reader.entry('dir/text.txt')!, 1e6)).equals(text),
      ).toBe(true)
      expect(
        Buffer.from(await reader.readEntry(reader.entry('random.bin')!, 1e6)).equals(random),
      ).toBe(true)
    } finally {
      await reader.close()
    }
    const bytes = await readFile(path)
    expect(bytes.toString('latin1', 30, 38)).toBe('mimetype')
    expect(bytes.toString('latin1', 38, 54)).toBe('image/openraster')
  })

  it('refuses duplicate names', () => {
    expect(() =>
      writeZip([
        { name: 'a', data: new Uint8Array(1) },
        { name: 'a', data: new Uint8Array(1) },
      ]),
    ).toThrow()
  })
})
