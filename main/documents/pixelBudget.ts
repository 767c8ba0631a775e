import { maxImagePixels } from '../../contract/documents'
import { GlideError } from '../../contract/errors'
import type { ZipEntry } from '../engine/checkpoint/zipReader'

/**
 * The most pixels one document read may decode, all layers together: eight full-size layers of
 * the largest canvas. A project that names one small, highly compressible PNG from every layer
 * (a 2 KB file declaring 256 layers of 8192²) is refused before anything is decoded.
 */
export const maxDocumentPixels = 8 * maxImagePixels

/** Width and height from a PNG's IHDR, without decoding; null when the bytes are not a PNG. */
export function pngDimensions(png: Uint8Array): { width: number; height: number } | null {
  if (png.byteLength < 24) return null
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength)
  const signature = view.getUint32(0) === 0x89504e47 && view.getUint32(4) === 0x0d0a1a0a
  const ihdr = view.getUint32(12) === 0x49484452
  if (!signature || !ihdr) return null
  return { width: view.getUint32(16), height: view.getUint32(20) }
}

/**
 * Accounts for the pixels a document read is about to decode: each layer is checked against its
 * own cap and the running total before its decode starts, and no zip entry may back two layers
 * (by name or by overlapping data).
 */
export class PixelBudget {
  private used = 0
  private readonly names = new Set<string>()
  private readonly offsets = new Set<number>()

  constructor(
    private readonly label: string,
    private readonly limit = maxDocumentPixels,
  ) {}

  get pixels(): number {
    return this.used
  }

  /** One zip entry per layer: the same entry (or the same bytes under two names) is refused. */
  claimEntry(entry: ZipEntry): void {
    if (this.names.has(entry.name) || this.offsets.has(entry.dataOffset)) {
      throw new GlideError(
        'PROJECT_INVALID',
        `${this.label}: ${entry.name} is used by more than one layer, which a saved file never does.`,
      )
    }
    this.names.add(entry.name)
    this.offsets.add(entry.dataOffset)
  }

  claim(width: number, height: number, what: string): void {
    const pixels = width * height
    if (!(pixels > 0) || pixels > maxImagePixels) {
      throw new GlideError(
        'IMAGE_TOO_LARGE',
        `${this.label}: ${what} is ${width}×${height}, more than one ${Math.sqrt(maxImagePixels)}² layer may hold.`,
      )
    }
    if (this.used + pixels > this.limit) {
      throw new GlideError(
        'IMAGE_TOO_LARGE',
        `${this.label} holds more than ${Math.round(this.limit / 1e6)} million pixels in all; it cannot be opened.`,
      )
    }
    this.used += pixels
  }
}

/** The bytes a PNG of `pixels` pixels may take, compressed: raw size plus generous overhead. */
export function maxPngBytesFor(pixels: number, channels: number): number {
  return Math.ceil(pixels * channels * 1.1) + (1 << 20)
}
