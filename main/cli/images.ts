import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import type { DecodedImage } from '../../contract/documents'
import { GlideError } from '../../contract/errors'
import { decodeImage } from '../documents/imageCodec'

/**
 * Reads an image file the way the app opens one (documents/imageCodec): the format is sniffed from
 * the bytes (SVG and other formats are refused), sizes are checked before decoding, RGBA out.
 */
export async function readImageFile(path: string): Promise<DecodedImage> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (error) {
    const code = (error as { code?: string }).code
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder' : code
    throw new GlideError('IO_ERROR', `Cannot read ${path}: ${reason ?? 'unreadable'}.`)
  }
  return decodeImage(bytes, basename(path))
}

/**
 * The painted mask of a picture, one byte per pixel, 255 = regenerate: painted as users paint,
 * white = change, black = keep (grey is partly painted; transparent counts as black). It must
 * have the picture's size: a mask stretched to fit would not select what was painted.
 */
export async function readMaskFile(
  path: string,
  size: { width: number; height: number },
): Promise<Uint8ClampedArray> {
  const image = await readImageFile(path)
  if (image.width !== size.width || image.height !== size.height) {
    throw new GlideError(
      'INVALID_ARGUMENT',
      `The mask is ${image.width}×${image.height}; it must be the picture's size, ${size.width}×${size.height}.`,
    )
  }
  const painted = new Uint8ClampedArray(image.width * image.height)
  for (let i = 0; i < painted.length; i++) {
    const [r, g, b, a] = [0, 1, 2, 3].map((c) => image.data[i * 4 + c] ?? 0)
    painted[i] = ((0.299 * (r ?? 0) + 0.587 * (g ?? 0) + 0.114 * (b ?? 0)) * (a ?? 0)) / 255
  }
  return painted
}
