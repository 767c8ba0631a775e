/**
 * Issue 17, item 1: documents whose layers would decode far more pixels than they carry bytes
 * (one small 8192² PNG named by every layer, or many of them) are refused with a typed error
 * before any decode, so memory stays flat.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readDocumentBytes } from '../../../main/documents/documentServices'
import { readOpenRaster } from '../../../main/documents/openRaster'
import { maxDocumentPixels, PixelBudget, pngDimensions } from '../../../main/documents/pixelBudget'
import { readProjectFile } from '../../../main/documents/projectFile'
import { writeZip } from '../../../main/documents/zip/zipWriter'
import { bombPng, bombSide, glideBomb, oraBomb } from '../../helpers/hostileFiles'
import { tempDirectory } from './fixtures'

const side = bombSide
const bomb = bombPng(side)

async function refusedWithFlatMemory(
  open: () => Promise<unknown>,
  code: string,
  message: RegExp,
): Promise<void> {
  global.gc?.()
  const before = process.memoryUsage().rss
  let peak = before
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5)
  try {
    await expect(open()).rejects.toMatchObject({ code, message: expect.stringMatching(message) })
  } finally {
    clearInterval(sampler)
  }
  peak = Math.max(peak, process.memoryUsage().rss)
  expect(peak - before).toBeLessThan(300 * 1024 * 1024)
}

describe('decoded-pixel budget for document reads', () => {
  it('reads PNG dimensions from the header and keeps a running total', () => {
    expect(bomb.byteLength).toBeLessThan(12_000)
    expect(pngDimensions(bomb)).toEqual({ width: side, height: side })
    expect(pngDimensions(Buffer.from('not a png at all, not at all'))).toBeNull()
    const budget = new PixelBudget('x', 100)
    budget.claim(5, 10, 'a')
    expect(() => budget.claim(10, 6, 'b')).toThrow(/more than/)
    expect(maxDocumentPixels).toBe(8 * side * side)
  })

  it('refuses the 2 KB .glide whose 256 layers all name one 8192² PNG, memory flat', async () => {
    const bytes = glideBomb(256, true)
    expect(bytes.byteLength).toBeLessThan(60_000)
    const path = join(await tempDirectory(), 'bomb.glide')
    await writeFile(path, bytes)
    await refusedWithFlatMemory(
      () => readProjectFile(path, 'bomb.glide'),
      'PROJECT_INVALID',
      /used by more than one layer/,
    )
    // The 12-layer variant of the report, through the browser-mode Open path.
    await refusedWithFlatMemory(
      () => readDocumentBytes(glideBomb(12, true), 'bomb.glide'),
      'PROJECT_INVALID',
      /more than one layer/,
    )
  })

  it('refuses a .glide of nine distinct 8192² layers: over the budget before any decode', async () => {
    await refusedWithFlatMemory(
      () => readDocumentBytes(glideBomb(9, false), 'many.glide'),
      'IMAGE_TOO_LARGE',
      /million pixels/,
    )
  })

  it('refuses the 12-layer .ora bomb, shared or distinct, memory flat', async () => {
    const directory = await tempDirectory()
    const shared = join(directory, 'shared.ora')
    await writeFile(shared, oraBomb(12, true))
    await refusedWithFlatMemory(
      () => readOpenRaster(shared, 'ora', 'shared'),
      'PROJECT_INVALID',
      /more than one layer/,
    )
    const distinct = join(directory, 'distinct.ora')
    await writeFile(distinct, oraBomb(12, false))
    await refusedWithFlatMemory(
      () => readOpenRaster(distinct, 'ora', 'distinct'),
      'IMAGE_TOO_LARGE',
      /million pixels/,
    )
  })

  it('gives bad OpenRaster positions a typed error (issue 17, item 9)', async () => {
    const small = bombPng(4)
    const xml = `<image w="8" h="8"><stack><layer name="a" src="data/a.png" x="1e400" y="0"/></stack></image>`
    const path = join(await tempDirectory(), 'bad.ora')
    await writeFile(
      path,
      writeZip([
        { name: 'mimetype', data: Buffer.from('image/openraster'), method: 'stored' },
        { name: 'stack.xml', data: Buffer.from(xml), method: 'deflate' },
        { name: 'data/a.png', data: small, method: 'stored' },
      ]),
    )
    await expect(readOpenRaster(path, 'ora', 'bad')).rejects.toMatchObject({
      code: 'PROJECT_INVALID',
    })
  })
})

describe('OpenRaster names', () => {
  it('keeps an out-of-range character reference as text instead of failing (issue 17, item 9)', async () => {
    const xml = `<image w="4" h="4"><stack><layer name="a&#99999999;b" src="data/a.png" x="0" y="0"/></stack></image>`
    const path = join(await tempDirectory(), 'names.ora')
    const { encodePng } = await import('../../../main/documents/imageCodec')
    await writeFile(
      path,
      writeZip([
        { name: 'mimetype', data: Buffer.from('image/openraster'), method: 'stored' },
        { name: 'stack.xml', data: Buffer.from(xml), method: 'deflate' },
        {
          name: 'data/a.png',
          data: await encodePng(new Uint8Array(64), 4, 4, 4),
          method: 'stored',
        },
      ]),
    )
    const project = await readOpenRaster(path, 'ora', 'names')
    expect(project.layers[0]?.name).toBe('a&#99999999;b')
  })
})
