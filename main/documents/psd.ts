import type { ProjectData } from '../../contract/documents'
import { flattenProject } from './flatten'

/**
 * Photoshop .psd writer: 8-bit RGB with transparency, one layer record per layer (bottom first,
 * as the format stores them) with name, opacity and visibility, PackBits (RLE) channel data, and
 * the merged image. Layout follows Adobe's "Photoshop File Formats Specification".
 */
export function writePsd(project: ProjectData): Uint8Array {
  const out = new ByteWriter()
  // File header
  out.ascii('8BPS')
  out.u16(1)
  out.zeros(6)
  out.u16(4) // R, G, B and the merged transparency
  out.u32(project.height)
  out.u32(project.width)
  out.u16(8)
  out.u16(3) // RGB
  out.u32(0) // colour mode data
  out.u32(0) // image resources

  const layerInfo = layerInfoSection(project)
  out.u32(4 + layerInfo.length + 4)
  out.u32(layerInfo.length)
  out.bytes(layerInfo)
  out.u32(0) // global layer mask info

  const merged = flattenProject(project)
  const planes = [0, 1, 2, 3].map((channel) =>
    plane(merged, project.width, project.height, channel),
  )
  const encoded = planes.map((data) => packBitsRows(data, project.width, project.height))
  out.u16(1)
  for (const channel of encoded) for (const count of channel.rowLengths) out.u16(count)
  for (const channel of encoded) out.bytes(channel.data)
  return out.toUint8Array()
}

function layerInfoSection(project: ProjectData): Uint8Array {
  const records = new ByteWriter()
  const channelData = new ByteWriter()
  // Negative: the merged image's first alpha channel holds its transparency.
  records.i16(-project.layers.length)
  for (const layer of project.layers) {
    const bounds = layer.pixels?.bounds ?? { x: 0, y: 0, width: 0, height: 0 }
    records.i32(bounds.y)
    records.i32(bounds.x)
    records.i32(bounds.y + bounds.height)
    records.i32(bounds.x + bounds.width)
    records.u16(4)
    const channels: [number, number][] = [
      [-1, 3],
      [0, 0],
      [1, 1],
      [2, 2],
    ]
    for (const [id, offset] of channels) {
      let encoded: Uint8Array
      if (!layer.pixels) {
        encoded = new Uint8Array([0, 0]) // raw, no rows
      } else {
        const data = plane(layer.pixels.data, bounds.width, bounds.height, offset)
        const rle = packBitsRows(data, bounds.width, bounds.height)
        const section = new ByteWriter()
        section.u16(1)
        for (const count of rle.rowLengths) section.u16(count)
        section.bytes(rle.data)
        encoded = section.toUint8Array()
      }
      records.i16(id)
      records.u32(encoded.length)
      channelData.bytes(encoded)
    }
    records.ascii('8BIM')
    records.ascii('norm')
    records.u8(Math.round(layer.opacity * 255))
    records.u8(0) // clipping: base
    records.u8(layer.visible ? 0 : 0x02) // bit 1: hidden
    records.u8(0)
    const extra = new ByteWriter()
    extra.u32(0) // layer mask data
    extra.u32(0) // blending ranges
    extra.pascalString(layer.name, 4)
    const unicodeName = new ByteWriter()
    unicodeName.u32(layer.name.length)
    for (let i = 0; i < layer.name.length; i++) unicodeName.u16(layer.name.charCodeAt(i))
    if (unicodeName.length % 4 !== 0) unicodeName.zeros(4 - (unicodeName.length % 4))
    extra.ascii('8BIM')
    extra.ascii('luni')
    extra.u32(unicodeName.length)
    extra.bytes(unicodeName.toUint8Array())
    records.u32(extra.length)
    records.bytes(extra.toUint8Array())
  }
  records.bytes(channelData.toUint8Array())
  if (records.length % 2 !== 0) records.u8(0)
  return records.toUint8Array()
}

function plane(rgba: Uint8Array, width: number, height: number, channel: number): Uint8Array {
  const out = new Uint8Array(width * height)
  for (let i = 0; i < out.length; i++) out[i] = rgba[i * 4 + channel] ?? 0
  return out
}

/** PackBits each row separately, as PSD wants, returning each row's packed length. */
export function packBitsRows(
  data: Uint8Array,
  width: number,
  height: number,
): { rowLengths: number[]; data: Uint8Array } {
  const out = new ByteWriter()
  const rowLengths: number[] = []
  for (let y = 0; y < height; y++) {
    const start = out.length
    packBits(data.subarray(y * width, (y + 1) * width), out)
    rowLengths.push(out.length - start)
  }
  return { rowLengths, data: out.toUint8Array() }
}

function packBits(row: Uint8Array, out: ByteWriter): void {
  let i = 0
  while (i < row.length) {
    let run = 1
    while (i + run < row.length && run < 128 && row[i + run] === row[i]) run++
    if (run >= 2) {
      out.u8(257 - run)
      out.u8(row[i] ?? 0)
      i += run
      continue
    }
    let literal = 1
    while (
      i + literal < row.length &&
      literal < 128 &&
      !(i + literal + 1 < row.length && row[i + literal] === row[i + literal + 1])
    ) {
      literal++
    }
    out.u8(literal - 1)
    out.bytes(row.subarray(i, i + literal))
    i += literal
  }
}

/** A growable big-endian byte buffer. */
class ByteWriter {
  private buffer = new Uint8Array(1024)
  private view = new DataView(this.buffer.buffer)
  length = 0

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return
    let capacity = this.buffer.length * 2
    while (capacity < this.length + extra) capacity *= 2
    const next = new Uint8Array(capacity)
    next.set(this.buffer.subarray(0, this.length))
    this.buffer = next
    this.view = new DataView(next.buffer)
  }

  u8(value: number): void {
    this.reserve(1)
    this.view.setUint8(this.length, value)
    this.length += 1
  }

  u16(value: number): void {
    this.reserve(2)
    this.view.setUint16(this.length, value)
    this.length += 2
  }

  i16(value: number): void {
    this.reserve(2)
    this.view.setInt16(this.length, value)
    this.length += 2
  }

  u32(value: number): void {
    this.reserve(4)
    this.view.setUint32(this.length, value)
    this.length += 4
  }

  i32(value: number): void {
    this.reserve(4)
    this.view.setInt32(this.length, value)
    this.length += 4
  }

  zeros(count: number): void {
    this.reserve(count)
    this.length += count
  }

  ascii(text: string): void {
    for (let i = 0; i < text.length; i++) this.u8(text.charCodeAt(i) & 0x7f)
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length)
    this.buffer.set(data, this.length)
    this.length += data.length
  }

  /** Pascal string (MacRoman approximated by '?' for non-ASCII), padded to a multiple of `pad`. */
  pascalString(text: string, pad: number): void {
    const bytes = Array.from(text.slice(0, 255), (char) => {
      const code = char.charCodeAt(0)
      return code < 128 ? code : 0x3f
    })
    const start = this.length
    this.u8(bytes.length)
    for (const byte of bytes) this.u8(byte)
    while ((this.length - start) % pad !== 0) this.u8(0)
  }

  toUint8Array(): Uint8Array {
    return this.buffer.slice(0, this.length)
  }
}
