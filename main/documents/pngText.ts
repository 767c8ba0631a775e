import { crc32 } from 'node:zlib'

const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/**
 * Inserts tEXt chunks right after IHDR. Keywords are 1–79 Latin-1 characters; text is Latin-1
 * (tEXt's encoding), so callers put JSON with non-Latin-1 characters escaped.
 */
export function addPngTextChunks(png: Uint8Array, entries: Record<string, string>): Uint8Array {
  const bytes = Buffer.from(png.buffer, png.byteOffset, png.byteLength)
  if (!bytes.subarray(0, 8).equals(signature)) throw new Error('not a PNG')
  const ihdrLength = bytes.readUInt32BE(8)
  const afterIhdr = 8 + 12 + ihdrLength
  const chunks = Object.entries(entries).map(([keyword, text]) => {
    if (!/^[\x20-\x7e]{1,79}$/.test(keyword)) throw new Error(`bad tEXt keyword ${keyword}`)
    const body = Buffer.concat([
      Buffer.from('tEXt', 'latin1'),
      Buffer.from(keyword, 'latin1'),
      Buffer.from([0]),
      Buffer.from(toLatin1Safe(text), 'latin1'),
    ])
    const chunk = Buffer.alloc(body.length + 8)
    chunk.writeUInt32BE(body.length - 4, 0)
    body.copy(chunk, 4)
    chunk.writeUInt32BE(crc32(body) >>> 0, body.length + 4)
    return chunk
  })
  const out = Buffer.concat([bytes.subarray(0, afterIhdr), ...chunks, bytes.subarray(afterIhdr)])
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}

/** Escapes characters outside printable Latin-1 as \uXXXX so JSON stays valid JSON. */
function toLatin1Safe(text: string): string {
  return text.replace(
    /[^\x20-\x7e\n]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/** Every tEXt chunk of a PNG, keyword → text. */
export function readPngTextChunks(png: Uint8Array): Record<string, string> {
  const bytes = Buffer.from(png.buffer, png.byteOffset, png.byteLength)
  const result: Record<string, string> = {}
  let offset = 8
  while (offset + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(offset)
    const type = bytes.toString('latin1', offset + 4, offset + 8)
    if (type === 'tEXt') {
      const body = bytes.subarray(offset + 8, offset + 8 + length)
      const separator = body.indexOf(0)
      if (separator > 0)
        result[body.toString('latin1', 0, separator)] = body.toString('latin1', separator + 1)
    }
    if (type === 'IEND') break
    offset += 12 + length
  }
  return result
}
