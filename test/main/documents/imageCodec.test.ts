import { deflateSync, crc32 } from 'node:zlib'
import sharp from 'sharp'
import type { Sharp } from 'sharp'
import { describe, expect, it } from 'vitest'
import { GlideError } from '../../../contract/errors'
import fc from 'fast-check'
import {
  decodeImage,
  decodePngPixels,
  encodePng,
  sniffImageFormat,
} from '../../../main/documents/imageCodec'
import { noise } from './fixtures'

/** A 24×16 image: red top-left quadrant marker, blue elsewhere, half-transparent bottom row. */
async function source(): Promise<Sharp> {
  const width = 24
  const height = 16
  const data = Buffer.alloc(width * height * 4)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4
      const marker = x < 6 && y < 4
      data.set(marker ? [255, 0, 0, 255] : [0, 0, 255, y === height - 1 ? 128 : 255], i)
    }
  }
  return sharp(data, { raw: { width, height, channels: 4 } })
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(GlideError)
  expect((error as GlideError).code).toBe(code)
}

function chunk(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(body.length)
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), body])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(typed) >>> 0)
  return Buffer.concat([length, typed, crc])
}

/** A tiny valid-looking PNG that declares width × height (the classic dimension bomb). */
function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr.set([8, 0, 0, 0, 0], 8) // 8-bit greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(width + 1))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

describe('decodeImage', () => {
  it.each([
    ['png', (s: Sharp) => s.png(), true],
    ['webp', (s: Sharp) => s.webp({ lossless: true }), true],
    ['tiff', (s: Sharp) => s.tiff({ compression: 'lzw' }), true],
    ['gif', (s: Sharp) => s.gif(), false],
    ['jpeg', (s: Sharp) => s.flatten({ background: '#000' }).jpeg({ quality: 95 }), false],
    ['avif', (s: Sharp) => s.avif({ quality: 90 }), false],
  ] as const)('decodes %s to upright sRGB RGBA', async (format, encode, exact) => {
    const bytes = await encode(await source()).toBuffer()
    expect(sniffImageFormat(bytes)).toBe(format)
    const image = await decodeImage(bytes, `picture.${format}`)
    expect([image.width, image.height]).toEqual([24, 16])
    expect(image.data).toHaveLength(24 * 16 * 4)
    const pixel = (x: number, y: number) =>
      Array.from(image.data.subarray((y * 24 + x) * 4, (y * 24 + x) * 4 + 4))
    const red = pixel(1, 1)
    const blue = pixel(20, 10)
    expect(red[0]).toBeGreaterThan(200)
    expect(red[2]).toBeLessThan(60)
    expect(blue[2]).toBeGreaterThan(200)
    expect(blue[0]).toBeLessThan(60)
    if (exact) {
      expect(red).toEqual([255, 0, 0, 255])
      expect(pixel(20, 15)).toEqual([0, 0, 255, 128])
    }
  })

  it('reads only the first frame of an animated GIF', async () => {
    const frames = Buffer.concat([
      Buffer.alloc(8 * 8 * 4, 0).fill(Buffer.from([255, 0, 0, 255])),
      Buffer.alloc(8 * 8 * 4, 0).fill(Buffer.from([0, 255, 0, 255])),
    ])
    const gif = await sharp(frames, { raw: { width: 8, height: 16, channels: 4, pageHeight: 8 } })
      .gif({ loop: 0, delay: [100, 100] })
      .toBuffer()
    expect((await sharp(gif).metadata()).pages).toBe(2)
    const image = await decodeImage(gif, 'anim.gif')
    expect([image.width, image.height]).toEqual([8, 8])
    expect(image.data[0]).toBeGreaterThan(200)
    expect(image.data[1]).toBeLessThan(50)
  })

  it.each([6, 8, 3])('applies EXIF orientation %i', async (orientation) => {
    const jpeg = await (
      await source()
    )
      .flatten({ background: '#000' })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation })
      .toBuffer()
    const image = await decodeImage(jpeg, 'phone.jpg')
    const rotated = orientation !== 3
    expect([image.width, image.height]).toEqual(rotated ? [16, 24] : [24, 16])
    // Where the red top-left marker of the stored pixels ends up once upright.
    const corner = { 6: [14, 1], 8: [1, 22], 3: [22, 14] }[orientation]!
    const i = (corner[1]! * image.width + corner[0]!) * 4
    expect(image.data[i]).toBeGreaterThan(200)
    expect(image.data[i + 2]).toBeLessThan(60)
  })

  it('converts an embedded colour profile to sRGB', async () => {
    const flat = Buffer.alloc(4 * 4 * 3).fill(Buffer.from([40, 200, 60]))
    // Stored as Display P3 numbers with the P3 profile attached.
    const p3 = await sharp(flat, { raw: { width: 4, height: 4, channels: 3 } })
      .withIccProfile('p3')
      .png()
      .toBuffer()
    const stored = await sharp(p3, { ignoreIcc: true }).raw().toBuffer()
    expect(Math.abs(stored[0]! - 40) + Math.abs(stored[1]! - 200)).toBeGreaterThan(10)
    const converted = await decodeImage(p3, 'p3.png')
    for (const [channel, expected] of [40, 200, 60].entries()) {
      expect(Math.abs(converted.data[channel]! - expected)).toBeLessThanOrEqual(3)
    }
  })

  it('reduces 16-bit PNGs to 8 bits per channel', async () => {
    const deep = await (await source()).toColourspace('rgb16').png().toBuffer()
    expect((await sharp(deep).metadata()).depth).toBe('ushort')
    const image = await decodeImage(deep, 'deep.png')
    expect(Array.from(image.data.subarray(0, 4))).toEqual([255, 0, 0, 255])
  })

  it('refuses a truncated PNG as IMAGE_INVALID', async () => {
    const png = await (await source()).png().toBuffer()
    await expectCode(
      decodeImage(png.subarray(0, Math.floor(png.length * 0.6)), 'cut.png'),
      'IMAGE_INVALID',
    )
  })

  it('refuses a 30000×30000 header as IMAGE_TOO_LARGE before decoding', async () => {
    const bomb = pngDeclaring(30000, 30000)
    expect(bomb.length).toBeLessThan(400)
    const started = performance.now()
    await expectCode(decodeImage(bomb, 'bomb.png'), 'IMAGE_TOO_LARGE')
    expect(performance.now() - started).toBeLessThan(2000)
    await expectCode(decodeImage(pngDeclaring(9000, 10), 'wide.png'), 'IMAGE_TOO_LARGE')
  })

  it('refuses a text file renamed .png as IMAGE_INVALID', async () => {
    await expectCode(
      decodeImage(Buffer.from('hello, I am not a picture\n'), 'notes.png'),
      'IMAGE_INVALID',
    )
  })

  it('refuses formats outside the list as UNSUPPORTED_FORMAT', async () => {
    const bmp = Buffer.concat([Buffer.from('BM'), Buffer.alloc(60)])
    await expectCode(decodeImage(bmp, 'old.bmp'), 'UNSUPPORTED_FORMAT')
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    await expectCode(decodeImage(svg, 'vector.svg'), 'UNSUPPORTED_FORMAT')
    const pdf = Buffer.from('%PDF-1.7\n')
    await expectCode(decodeImage(pdf, 'doc.pdf'), 'UNSUPPORTED_FORMAT')
  })

  it('refuses corrupt JPEG data', async () => {
    const jpeg = Buffer.from(
      await (await source()).flatten({ background: '#000' }).jpeg().toBuffer(),
    )
    for (let i = 200; i < jpeg.length - 2; i += 3) jpeg[i] = 0xff
    await expectCode(decodeImage(jpeg, 'broken.jpg'), 'IMAGE_INVALID')
  })
})

describe('lossless pixels for projects and exports', () => {
  it('encodes and decodes straight-alpha RGBA byte for byte, alpha 1–254 included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (width, height, seed) => {
          const data = noise(width * height * 4, seed)
          const png = await encodePng(data, width, height, 4)
          const decoded = await decodePngPixels(png, 4, 'layer')
          return (
            decoded.width === width &&
            decoded.height === height &&
            Buffer.from(decoded.data).equals(Buffer.from(data))
          )
        },
      ),
      { numRuns: 60, seed: 7 },
    )
  })

  it('keeps one-channel masks exact', async () => {
    const data = noise(33 * 17, 5)
    const decoded = await decodePngPixels(await encodePng(data, 33, 17, 1), 1, 'mask')
    expect(Buffer.from(decoded.data).equals(Buffer.from(data))).toBe(true)
  })
})

describe('dimension bombs in other formats', () => {
  it('refuses a JPEG whose header claims 65500×65500', async () => {
    const jpeg = Buffer.from(
      await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
        .jpeg()
        .toBuffer(),
    )
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]))
    expect(sof).toBeGreaterThan(0)
    jpeg.writeUInt16BE(65500, sof + 5)
    jpeg.writeUInt16BE(65500, sof + 7)
    await expectCode(decodeImage(jpeg, 'huge.jpg'), 'IMAGE_TOO_LARGE')
  })

  it('refuses a GIF whose screen claims 30000×30000', async () => {
    const gif = Buffer.from(
      await sharp({ create: { width: 4, height: 4, channels: 3, background: '#0f0' } })
        .gif()
        .toBuffer(),
    )
    gif.writeUInt16LE(30000, 6)
    gif.writeUInt16LE(30000, 8)
    // The image descriptor's own size too, so the decoder sees the full claim.
    const descriptor = gif.indexOf(0x2c, 13)
    gif.writeUInt16LE(30000, descriptor + 5)
    gif.writeUInt16LE(30000, descriptor + 7)
    await expectCode(decodeImage(gif, 'huge.gif'), 'IMAGE_TOO_LARGE')
  })
})
