import { crc32, deflateSync } from 'node:zlib'

const signature = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)

function chunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length)
  out.writeUInt32BE(body.length, 0)
  out.write(type, 4, 'latin1')
  out.set(body, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length)
  return out
}

function isLatin1(text: string): boolean {
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) > 0xff) return false
  return true
}

/** tEXt when the text is Latin-1 (as the PNG spec requires), iTXt (UTF-8) otherwise. */
function textChunk(keyword: string, text: string): Buffer {
  if (!/^[\u0020-\u007e]{1,79}$/.test(keyword)) throw new Error(`bad PNG keyword ${keyword}`)
  if (isLatin1(text)) {
    return chunk(
      'tEXt',
      Buffer.concat([Buffer.from(`${keyword}\0`, 'latin1'), Buffer.from(text, 'latin1')]),
    )
  }
  const header = Buffer.from(`${keyword}\0\0\0\0\0`, 'latin1')
  return chunk('iTXt', Buffer.concat([header, Buffer.from(text, 'utf8')]))
}

/** Encodes 8-bit RGBA pixels as a PNG file, with optional text chunks (keyword → text). */
export function encodePng(
  width: number,
  height: number,
  rgba: Uint8Array,
  text: Readonly<Record<string, string>> = {},
): Buffer {
  if (rgba.length !== width * height * 4) throw new Error('rgba length does not match the size')
  const stride = width * 4
  const raw = Buffer.alloc((stride + 1) * height)
  for (let y = 0; y < height; y++) {
    // Filter type 0 (none): the images are small and noisy, so filtering buys little.
    raw[y * (stride + 1)] = 0
    raw.set(rgba.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1)
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 6, 0, 0, 0], 8)
  return Buffer.concat([
    signature,
    chunk('IHDR', header),
    ...Object.entries(text).map(([keyword, value]) => textChunk(keyword, value)),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ])
}

/** Reads the tEXt and iTXt chunks of a PNG file (uncompressed iTXt only). */
export function readPngText(png: Uint8Array): Record<string, string> {
  const bytes = Buffer.from(png.buffer, png.byteOffset, png.byteLength)
  const text: Record<string, string> = {}
  let offset = 8
  while (offset + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(offset)
    const type = bytes.toString('latin1', offset + 4, offset + 8)
    const body = bytes.subarray(offset + 8, offset + 8 + length)
    const nul = body.indexOf(0)
    if (type === 'tEXt' && nul > 0) {
      text[body.toString('latin1', 0, nul)] = body.toString('latin1', nul + 1)
    } else if (type === 'iTXt' && nul > 0 && body[nul + 1] === 0) {
      const languageEnd = body.indexOf(0, nul + 3)
      const translatedEnd = body.indexOf(0, languageEnd + 1)
      text[body.toString('latin1', 0, nul)] = body.toString('utf8', translatedEnd + 1)
    }
    offset += 12 + length
  }
  return text
}
