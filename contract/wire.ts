/**
 * How browser mode carries contract messages over a WebSocket: one binary frame per message.
 *
 *   [u32 LE: header length][header: UTF-8 JSON][blob 0][blob 1]…
 *
 * The header is `{"value": …, "blobs": [length0, length1, …]}`; each Uint8Array inside the value
 * is replaced by `{"$bytes": index}` and its bytes travel raw after the header, so pixels and files
 * cost one copy each way and no base64. Decoding hands back views into the frame (no copy).
 */

const bytesKey = '$bytes'
const headerLengthBytes = 4

/** Base64 of bytes, in any JavaScript runtime (browser, preload, Node). Not used on the wire. */
export function toBase64(bytes: Uint8Array | Uint8ClampedArray): string {
  let binary = ''
  const chunk = 0x8000
  for (let offset = 0; offset < bytes.length; offset += chunk) {
    binary += String.fromCharCode(...bytes.subarray(offset, offset + chunk))
  }
  return btoa(binary)
}

/** Bytes of base64 text; throws on characters outside the alphabet. Not used on the wire. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index)
  return bytes
}

/** Sets a key as an own property, so a "__proto__" key stays a key and never sets the prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  })
}

/** Replaces every Uint8Array (Buffers included) with a placeholder, collecting the bytes. */
function extractBlobs(value: unknown, blobs: Uint8Array[], depth: number): unknown {
  if (depth > 64) throw new Error('the message nests too deeply')
  if (value instanceof Uint8Array) {
    blobs.push(value)
    return { [bytesKey]: blobs.length - 1 }
  }
  if (Array.isArray(value)) return value.map((item) => extractBlobs(item, blobs, depth + 1))
  if (value && typeof value === 'object') {
    const plain: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) setOwn(plain, key, extractBlobs(item, blobs, depth + 1))
    }
    return plain
  }
  return value
}

/**
 * A message as parts that, concatenated, make its frame: the header first, then each blob as the
 * very array it was given (no copy), so a sender can stream a large message in fragments.
 */
export function encodeWireParts(value: unknown): Uint8Array[] {
  const blobs: Uint8Array[] = []
  const plain = extractBlobs(value, blobs, 0)
  const header = new TextEncoder().encode(
    JSON.stringify({ value: plain, blobs: blobs.map((blob) => blob.byteLength) }),
  )
  const head = new Uint8Array(headerLengthBytes + header.byteLength)
  new DataView(head.buffer).setUint32(0, header.byteLength, true)
  head.set(header, headerLengthBytes)
  return [head, ...blobs.filter((blob) => blob.byteLength > 0)]
}

/** One binary frame holding `value`; Uint8Arrays anywhere inside travel as raw bytes. */
export function encodeWire(value: unknown): Uint8Array<ArrayBuffer> {
  const parts = encodeWireParts(value)
  let total = 0
  for (const part of parts) total += part.byteLength
  const frame = new Uint8Array(total)
  let offset = 0
  for (const part of parts) {
    frame.set(part, offset)
    offset += part.byteLength
  }
  return frame
}

/** The value of a frame made by encodeWire. Throws on anything malformed. */
export function decodeWire(frame: Uint8Array): unknown {
  if (frame.byteLength < headerLengthBytes) throw new Error('the frame is too short')
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  const headerLength = view.getUint32(0, true)
  if (headerLength > frame.byteLength - headerLengthBytes) throw new Error('bad header length')
  const header: unknown = JSON.parse(
    new TextDecoder('utf-8', { fatal: true }).decode(
      frame.subarray(headerLengthBytes, headerLengthBytes + headerLength),
    ),
  )
  if (!header || typeof header !== 'object' || !Object.hasOwn(header, 'value'))
    throw new Error('the frame has no value')
  const lengths = (header as { blobs?: unknown }).blobs
  if (
    !Array.isArray(lengths) ||
    !lengths.every((length) => Number.isInteger(length) && (length as number) >= 0)
  ) {
    throw new Error('bad blob table')
  }
  const blobs: Uint8Array[] = []
  let offset = headerLengthBytes + headerLength
  for (const length of lengths as number[]) {
    if (offset + length > frame.byteLength) throw new Error('a blob runs past the frame')
    blobs.push(frame.subarray(offset, offset + length))
    offset += length
  }
  if (offset !== frame.byteLength) throw new Error('bytes after the last blob')
  const used = new Set<number>()
  const restore = (value: unknown, depth: number): unknown => {
    if (depth > 64) throw new Error('the message nests too deeply')
    if (Array.isArray(value)) return value.map((item) => restore(item, depth + 1))
    if (value && typeof value === 'object') {
      if (Object.hasOwn(value, bytesKey)) {
        const index = (value as Record<string, unknown>)[bytesKey]
        if (Object.keys(value).length !== 1 || typeof index !== 'number') {
          throw new Error('malformed bytes')
        }
        const blob = blobs[index]
        if (!blob || used.has(index)) throw new Error('malformed bytes')
        used.add(index)
        return blob
      }
      const plain: Record<string, unknown> = {}
      for (const [key, item] of Object.entries(value)) setOwn(plain, key, restore(item, depth + 1))
      return plain
    }
    return value
  }
  const value = restore((header as { value: unknown }).value, 0)
  if (used.size !== blobs.length) throw new Error('unreferenced blobs')
  return value
}
