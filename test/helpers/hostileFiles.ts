/**
 * Small files that decode to far more than they weigh (issue 17, item 1), shared by the pixel
 * budget tests, the decoder process tests and the hostile-input suite.
 */
import { deflateSync } from 'node:zlib'
import { projectFormat } from '../../main/documents/projectFile'
import { writeZip } from '../../main/documents/zip/zipWriter'

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(bytes: Buffer): number {
  let c = 0xffffffff
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

export function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/** A 1-bit greyscale PNG of width×height pixels: a few KB that decode to width·height·4 bytes. */
export function bombPng(width: number, height = width): Buffer {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([1, 0, 0, 0, 0], 8)
  const rows = Buffer.alloc(height * (1 + Math.ceil(width / 8)))
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ])
}

export const bombSide = 8192
let sharedBomb: Buffer | null = null
function bomb(): Buffer {
  sharedBomb ??= bombPng(bombSide)
  return sharedBomb
}

/** A .glide whose layers are all 8192² PNGs: one entry named by every layer, or one each. */
export function glideBomb(layerCount: number, shared: boolean): Uint8Array {
  const layers = Array.from({ length: layerCount }, (_, index) => ({
    id: `l${index}`,
    name: `Layer ${index}`,
    visible: true,
    opacity: 1,
    locked: false,
    image: {
      file: shared ? 'layers/a.png' : `layers/l${index}.png`,
      bounds: { x: 0, y: 0, width: bombSide, height: bombSide },
    },
  }))
  const manifest = {
    format: projectFormat,
    documentId: 'doc-bomb',
    title: 'bomb',
    width: bombSide,
    height: bombSide,
    frame: { x: 0, y: 0, width: 512, height: 512 },
    savedAt: '2026-01-01T00:00:00.000Z',
    layers,
    mask: null,
  }
  const files = shared
    ? [{ name: 'layers/a.png', data: bomb(), method: 'stored' as const }]
    : layers.map((layer) => ({ name: layer.image.file, data: bomb(), method: 'stored' as const }))
  return writeZip([
    { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)), method: 'deflate' },
    ...files,
  ])
}

/** An OpenRaster file of 8192² PNG layers, shared or distinct. */
export function oraBomb(layerCount: number, shared: boolean): Uint8Array {
  const tags = Array.from(
    { length: layerCount },
    (_, index) =>
      `<layer name="L${index}" src="${shared ? 'data/a.png' : `data/l${index}.png`}" x="0" y="0" />`,
  )
  return oraFile(
    `<?xml version="1.0"?><image w="${bombSide}" h="${bombSide}"><stack>${tags.join('')}</stack></image>`,
    shared
      ? [{ name: 'data/a.png', data: bomb() }]
      : tags.map((_, index) => ({ name: `data/l${index}.png`, data: bomb() })),
  )
}

/** An OpenRaster zip with this stack.xml and these entries (the mimetype first, as the spec says). */
export function oraFile(
  stackXml: string,
  entries: readonly { name: string; data: Uint8Array }[],
  mimetype = 'image/openraster',
): Uint8Array {
  return writeZip([
    { name: 'mimetype', data: Buffer.from(mimetype), method: 'stored' },
    { name: 'stack.xml', data: Buffer.from(stackXml), method: 'deflate' },
    ...entries.map((entry) => ({ ...entry, method: 'stored' as const })),
  ])
}
