import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'

/** Checks the committed icons in build/ (made by scripts/make-icons.js) decode at their sizes. */

const linuxSizes = [16, 32, 48, 64, 128, 256, 512]
const icoSizes = [16, 24, 32, 48, 64, 128, 256]
/** Apple's PNG-holding ICNS types and the side each must have (ic11–ic14 are the @2x ones). */
const icnsTypes: Array<[string, number]> = [
  ['icp4', 16],
  ['icp5', 32],
  ['ic11', 32],
  ['icp6', 64],
  ['ic12', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic13', 256],
  ['ic09', 512],
  ['ic14', 512],
  ['ic10', 1024],
]

const buildDir = fileURLToPath(new URL('../../build/', import.meta.url))

async function pngSize(png: Buffer): Promise<[number, number]> {
  const { width, height, format } = await sharp(png).metadata()
  expect(format).toBe('png')
  return [width, height]
}

/** Opaque somewhere in the middle, transparent in the corner: the rounded tile was drawn. */
async function looksLikeTheMark(png: Buffer): Promise<void> {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  const alpha = (x: number, y: number) => data[(y * info.width + x) * 4 + 3]
  expect(alpha(0, 0)).toBe(0)
  expect(alpha(info.width >> 1, info.height >> 1)).toBe(255)
}

describe('build/ icons', () => {
  it('icon.png is 1024 × 1024 and the Linux set has every size up to 512', async () => {
    const icon = readFileSync(join(buildDir, 'icon.png'))
    expect(await pngSize(icon)).toEqual([1024, 1024])
    await looksLikeTheMark(icon)
    for (const size of linuxSizes) {
      const png = readFileSync(join(buildDir, 'icons', `${size}x${size}.png`))
      expect(await pngSize(png)).toEqual([size, size])
    }
    expect(linuxSizes).toContain(512)
  })

  it('icon.ico lists PNG images of 16 to 256 px whose headers match their data', async () => {
    const ico = readFileSync(join(buildDir, 'icon.ico'))
    expect(ico.readUInt16LE(0)).toBe(0)
    expect(ico.readUInt16LE(2)).toBe(1)
    const count = ico.readUInt16LE(4)
    expect(count).toBe(icoSizes.length)
    const sizes: number[] = []
    let end = 6 + 16 * count
    for (let index = 0; index < count; index += 1) {
      const entry = 6 + 16 * index
      const side = ico.readUInt8(entry) || 256
      const length = ico.readUInt32LE(entry + 8)
      const offset = ico.readUInt32LE(entry + 12)
      expect(offset).toBe(end)
      end = offset + length
      expect(await pngSize(ico.subarray(offset, offset + length))).toEqual([side, side])
      sizes.push(side)
    }
    expect(end).toBe(ico.length)
    expect(sizes).toEqual(icoSizes)
    expect(sizes).toContain(256)
  })

  it('icon.icns holds a PNG for each type at that type’s size, 16 to 1024 px', async () => {
    const icns = readFileSync(join(buildDir, 'icon.icns'))
    expect(icns.toString('latin1', 0, 4)).toBe('icns')
    expect(icns.readUInt32BE(4)).toBe(icns.length)
    const expected = new Map(icnsTypes.map(([type, size]) => [type, size]))
    const seen: string[] = []
    for (let offset = 8; offset < icns.length;) {
      const type = icns.toString('latin1', offset, offset + 4)
      const length = icns.readUInt32BE(offset + 4)
      const size = expected.get(type)
      expect(size, `unexpected entry ${type}`).toBeDefined()
      expect(await pngSize(icns.subarray(offset + 8, offset + length))).toEqual([size, size])
      seen.push(type)
      offset += length
    }
    expect(seen).toEqual(icnsTypes.map(([type]) => type))
    expect(expected.get('ic10')).toBe(1024)
  })
})
