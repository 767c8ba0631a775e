/** A minimal PSD reader for tests: header, layer records, RLE/raw channel data, merged image. */
export interface PsdLayer {
  name: string
  unicodeName: string | null
  top: number
  left: number
  bottom: number
  right: number
  opacity: number
  hidden: boolean
  blendMode: string
  /** RGBA over the layer's bounds */
  rgba: Uint8Array
}

export interface Psd {
  width: number
  height: number
  channels: number
  depth: number
  colorMode: number
  layerCountField: number
  layers: PsdLayer[]
  merged: Uint8Array
}

export function readPsd(bytes: Uint8Array): Psd {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  const u8 = () => view.getUint8(at++)
  const u16 = () => ((at += 2), view.getUint16(at - 2))
  const i16 = () => ((at += 2), view.getInt16(at - 2))
  const u32 = () => ((at += 4), view.getUint32(at - 4))
  const i32 = () => ((at += 4), view.getInt32(at - 4))
  const ascii = (n: number) => String.fromCharCode(...bytes.subarray((at += n) - n, at))

  if (ascii(4) !== '8BPS') throw new Error('signature')
  if (u16() !== 1) throw new Error('version')
  at += 6
  const channels = u16()
  const height = u32()
  const width = u32()
  const depth = u16()
  const colorMode = u16()
  const skip = (length: number) => (at += length)
  skip(u32()) // colour mode data
  skip(u32()) // image resources
  const layerAndMaskLength = u32()
  const layerAndMaskEnd = at + layerAndMaskLength
  const layerInfoLength = u32()
  const layerInfoEnd = at + layerInfoLength
  const layerCountField = i16()
  const records: { layer: Omit<PsdLayer, 'rgba'>; channels: { id: number; length: number }[] }[] =
    []
  for (let index = 0; index < Math.abs(layerCountField); index++) {
    const top = i32()
    const left = i32()
    const bottom = i32()
    const right = i32()
    const channelCount = u16()
    const channelInfo = Array.from({ length: channelCount }, () => ({ id: i16(), length: u32() }))
    if (ascii(4) !== '8BIM') throw new Error('blend signature')
    const blendMode = ascii(4)
    const opacity = u8()
    u8()
    const flags = u8()
    u8()
    const extraLength = u32()
    const extraEnd = at + extraLength
    skip(u32()) // mask data
    skip(u32()) // blending ranges
    const nameStart = at
    const nameLength = u8()
    const name = ascii(nameLength)
    at = nameStart + Math.ceil((nameLength + 1) / 4) * 4
    let unicodeName: string | null = null
    while (at < extraEnd) {
      if (ascii(4) !== '8BIM') throw new Error('additional info signature')
      const key = ascii(4)
      const length = u32()
      const end = at + length
      if (key === 'luni') {
        const count = u32()
        unicodeName = String.fromCharCode(...Array.from({ length: count }, () => u16()))
      }
      at = end
    }
    records.push({
      layer: {
        name,
        unicodeName,
        top,
        left,
        bottom,
        right,
        opacity,
        hidden: (flags & 2) !== 0,
        blendMode,
      },
      channels: channelInfo,
    })
  }
  const layers: PsdLayer[] = []
  for (const record of records) {
    const w = record.layer.right - record.layer.left
    const h = record.layer.bottom - record.layer.top
    const rgba = new Uint8Array(w * h * 4)
    for (const channel of record.channels) {
      const end = at + channel.length
      const plane = readPlane(bytes, at, w, h, view)
      at = end
      const offset = channel.id === -1 ? 3 : channel.id
      for (let i = 0; i < w * h; i++) rgba[i * 4 + offset] = plane[i] ?? 0
    }
    layers.push({ ...record.layer, rgba })
  }
  if (at > layerInfoEnd) throw new Error('layer info overrun')
  at = layerAndMaskEnd
  const compression = u16()
  const merged = new Uint8Array(width * height * 4)
  if (compression === 1) {
    const counts = Array.from({ length: channels * height }, () => u16())
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < height; y++) {
        const count = counts[c * height + y] ?? 0
        const row = unpackBits(bytes.subarray(at, at + count), width)
        at += count
        for (let x = 0; x < width; x++) merged[(y * width + x) * 4 + c] = row[x] ?? 0
      }
    }
  } else {
    for (let c = 0; c < channels; c++)
      for (let i = 0; i < width * height; i++) merged[i * 4 + c] = u8()
  }
  if (at !== bytes.length) throw new Error(`trailing bytes: ${bytes.length - at}`)
  return { width, height, channels, depth, colorMode, layerCountField, layers, merged }
}

function readPlane(
  bytes: Uint8Array,
  start: number,
  w: number,
  h: number,
  view: DataView,
): Uint8Array {
  const compression = view.getUint16(start)
  if (compression === 0) return bytes.subarray(start + 2, start + 2 + w * h)
  if (compression !== 1) throw new Error(`compression ${compression}`)
  const out = new Uint8Array(w * h)
  let at = start + 2 + h * 2
  for (let y = 0; y < h; y++) {
    const count = view.getUint16(start + 2 + y * 2)
    out.set(unpackBits(bytes.subarray(at, at + count), w), y * w)
    at += count
  }
  return out
}

function unpackBits(data: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length)
  let i = 0
  let o = 0
  while (i < data.length) {
    const header = data[i++]!
    if (header < 128) {
      for (let k = 0; k <= header; k++) out[o++] = data[i++]!
    } else if (header > 128) {
      const value = data[i++]!
      for (let k = 0; k < 257 - header; k++) out[o++] = value
    }
  }
  if (o !== length) throw new Error(`row unpacked to ${o} bytes, expected ${length}`)
  return out
}
