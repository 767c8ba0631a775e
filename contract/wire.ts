/**
 * JSON with bytes: how browser mode carries Uint8Array payloads over a WebSocket text frame.
 * A Uint8Array becomes `{"$bytes": "<base64>"}`; nothing else is touched.
 */

const bytesKey = '$bytes'

/** Base64 of bytes, in any JavaScript runtime (browser, preload, Node). */
export function toBase64(bytes: Uint8Array | Uint8ClampedArray): string {
  let binary = ''
  const chunk = 0x8000
  for (let offset = 0; offset < bytes.length; offset += chunk) {
    binary += String.fromCharCode(...bytes.subarray(offset, offset + chunk))
  }
  return btoa(binary)
}

/** Bytes of base64 text; throws on characters outside the alphabet. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index)
  return bytes
}

export function encodeWire(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item instanceof Uint8Array ? { [bytesKey]: toBase64(item) } : item,
  )
}

/** Throws on malformed JSON or a malformed bytes object. */
export function decodeWire(text: string): unknown {
  return JSON.parse(text, (_key, item: unknown) => {
    if (item && typeof item === 'object' && Object.hasOwn(item, bytesKey)) {
      const keys = Object.keys(item)
      const encoded = (item as Record<string, unknown>)[bytesKey]
      if (keys.length !== 1 || typeof encoded !== 'string') throw new Error('malformed bytes')
      return fromBase64(encoded)
    }
    return item
  })
}
