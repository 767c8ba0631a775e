import sharp from 'sharp'
import type { DecodedImage } from '../../contract/documents'
import { maxDocumentSide, maxImagePixels } from '../../contract/documents'
import { GlideError } from '../../contract/errors'

export type SniffedFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff' | 'avif'

const imageExtensions = /\.(png|jpe?g|webp|gif|tiff?|avif)$/i

/** The format from the file's first bytes; the name is never trusted. */
export function sniffImageFormat(bytes: Uint8Array): SniffedFormat | null {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 32))
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a)
    return 'png'
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg'
  if (
    b.length >= 12 &&
    b.toString('latin1', 0, 4) === 'RIFF' &&
    b.toString('latin1', 8, 12) === 'WEBP'
  ) {
    return 'webp'
  }
  if (b.length >= 6 && /^GIF8[79]a$/.test(b.toString('latin1', 0, 6))) return 'gif'
  if (
    b.length >= 4 &&
    (b.toString('latin1', 0, 4) === 'II*\0' || b.toString('latin1', 0, 4) === 'MM\0*')
  ) {
    return 'tiff'
  }
  if (b.length >= 12 && b.toString('latin1', 4, 8) === 'ftyp') {
    const brand = b.toString('latin1', 8, 12)
    if (brand === 'avif' || brand === 'avis') return 'avif'
  }
  return null
}

export interface DecodeOptions {
  /** pixel cap, checked from the header before any pixel is decoded */
  readonly maxPixels?: number
  readonly maxSide?: number
  /** seconds libvips may spend before the decode is abandoned */
  readonly timeoutSeconds?: number
}

/**
 * Decodes an untrusted image into upright sRGB 8-bit RGBA: the format is sniffed from its bytes;
 * dimensions are checked from the header first (a 170-byte PNG may declare 30000×30000); EXIF
 * orientation is applied, colour profiles are converted to sRGB, only the first frame of an
 * animation is read, and truncated or corrupt data is refused rather than shown half-decoded.
 */
export async function decodeImage(
  bytes: Uint8Array,
  name: string,
  options: DecodeOptions = {},
): Promise<DecodedImage> {
  const maxPixels = options.maxPixels ?? maxImagePixels
  const maxSide = options.maxSide ?? maxDocumentSide
  const format = sniffImageFormat(bytes)
  if (!format) {
    if (imageExtensions.test(name)) {
      throw new GlideError(
        'IMAGE_INVALID',
        `${name} is not a valid image: its contents match no image format.`,
      )
    }
    throw new GlideError(
      'UNSUPPORTED_FORMAT',
      `${name} is not in a supported format (PNG, JPEG, WebP, TIFF, GIF, AVIF).`,
    )
  }
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const sharpOptions = {
    limitInputPixels: maxPixels,
    failOn: 'error',
    pages: 1,
    page: 0,
    autoOrient: true,
  } as const
  let width: number
  let height: number
  try {
    const metadata = await sharp(input, sharpOptions).metadata()
    width = metadata.autoOrient?.width ?? metadata.width ?? 0
    height = metadata.autoOrient?.height ?? metadata.height ?? 0
  } catch (error) {
    throw classifySharpError(error, name)
  }
  if (width < 1 || height < 1) throw new GlideError('IMAGE_INVALID', `${name} has no pixels.`)
  if (width > maxSide || height > maxSide || width * height > maxPixels) {
    throw new GlideError(
      'IMAGE_TOO_LARGE',
      `${name} is ${width}×${height}; images may be at most ${maxSide} pixels a side.`,
    )
  }
  try {
    const { data, info } = await sharp(input, sharpOptions)
      .timeout({ seconds: options.timeoutSeconds ?? 60 })
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
    if (info.channels !== 4 || info.width !== width || info.height !== height) {
      throw new GlideError('IMAGE_INVALID', `${name} decoded to an unexpected shape.`)
    }
    return {
      name: name.slice(0, 255),
      width,
      height,
      data: bytesOf(data),
    }
  } catch (error) {
    throw classifySharpError(error, name)
  }
}

function classifySharpError(error: unknown, name: string): GlideError {
  if (error instanceof GlideError) return error
  const message = error instanceof Error ? error.message : String(error)
  if (/pixel limit/i.test(message)) {
    return new GlideError('IMAGE_TOO_LARGE', `${name} is larger than the editor accepts.`, {
      cause: error,
    })
  }
  if (/unsupported image format/i.test(message)) {
    return new GlideError('UNSUPPORTED_FORMAT', `${name} is not in a supported format.`, {
      cause: error,
    })
  }
  return new GlideError('IMAGE_INVALID', `${name} could not be decoded: ${message.slice(0, 300)}`, {
    cause: error,
  })
}

/** Straight-alpha RGBA (4 channels) or grey (1 channel) to PNG, losslessly. */
export async function encodePng(
  data: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 4,
): Promise<Uint8Array> {
  const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  const png = await sharp(input, { raw: { width, height, channels } })
    .png({ compressionLevel: 6, adaptiveFiltering: true })
    .toBuffer()
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength)
}

/** Decodes a PNG from a project or OpenRaster file to `channels` bytes per pixel. */
export async function decodePngPixels(
  png: Uint8Array,
  channels: 1 | 4,
  label: string,
): Promise<{ width: number; height: number; data: Uint8Array<ArrayBuffer> }> {
  if (sniffImageFormat(png) !== 'png')
    throw new GlideError('PROJECT_INVALID', `${label} is not a PNG.`)
  try {
    let pipeline = sharp(Buffer.from(png.buffer, png.byteOffset, png.byteLength), {
      limitInputPixels: maxImagePixels,
      failOn: 'error',
    })
    pipeline =
      channels === 4 ? pipeline.toColourspace('srgb').ensureAlpha() : pipeline.extractChannel(0)
    const { data, info } = await pipeline
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
    if (info.channels !== channels)
      throw new Error(`expected ${channels} channels, got ${info.channels}`)
    return {
      width: info.width,
      height: info.height,
      data: bytesOf(data),
    }
  } catch (error) {
    throw new GlideError('PROJECT_INVALID', `${label} could not be decoded.`, { cause: error })
  }
}

/** Downscales RGBA to fit within `maxSide` (for thumbnails). */
export async function thumbnailPng(
  data: Uint8Array,
  width: number,
  height: number,
  maxSide: number,
): Promise<Uint8Array> {
  const input = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  const png = await sharp(input, { raw: { width, height, channels: 4 } })
    .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
    .png()
    .toBuffer()
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength)
}

/** A Buffer's bytes as a plain Uint8Array over the same memory. */
export function bytesOf(buffer: Buffer): Uint8Array<ArrayBuffer> {
  return new Uint8Array(buffer.buffer as ArrayBuffer, buffer.byteOffset, buffer.byteLength)
}

/**
 * Straight-alpha RGBA to JPEG (over white: it has no alpha) or WebP (alpha kept), quality 92: what
 * the editor's JPEG and WebP exports and the CLI's .jpg and .webp outputs write.
 */
export async function encodeLossy(
  rgba: Uint8Array,
  width: number,
  height: number,
  format: 'jpeg' | 'webp',
): Promise<Uint8Array> {
  const pixels = sharp(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength), {
    raw: { width, height, channels: 4 },
  })
  const encoded =
    format === 'jpeg'
      ? pixels.flatten({ background: '#ffffff' }).jpeg({ quality: 92 })
      : pixels.webp({ quality: 92 })
  return bytesOf(await encoded.toBuffer())
}
