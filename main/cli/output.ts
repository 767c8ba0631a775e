import { access, constants, stat } from 'node:fs/promises'
import { dirname, extname, resolve } from 'node:path'
import { GlideError } from '../../contract/errors'
import { encodeLossy, encodePng } from '../documents/imageCodec'
import { addPngTextChunks } from '../documents/pngText'

export type OutputFormat = 'png' | 'jpeg' | 'webp'

const formats: Record<string, OutputFormat> = {
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.webp': 'webp',
}

/** The file format `--out` names by its extension; anything else is refused before a run. */
export function outputFormat(out: string): OutputFormat {
  const format = formats[extname(out).toLowerCase()]
  if (!format) {
    throw new GlideError(
      'UNSUPPORTED_FORMAT',
      `--out ${out}: the name must end in .png, .jpg, .jpeg or .webp (it picks the file format).`,
    )
  }
  return format
}

/** FILE.png for one image; FILE-1.png, FILE-2.png, … for a batch. */
export function outputPaths(out: string, count: number): string[] {
  if (count === 1) return [out]
  const extension = extname(out)
  const stem = out.slice(0, out.length - extension.length)
  return Array.from({ length: count }, (_, index) => `${stem}-${index + 1}${extension || '.png'}`)
}

/** Checks before anything runs that --out names a format and its folder exists and is writable. */
export async function checkOutput(out: string): Promise<OutputFormat> {
  const format = outputFormat(out)
  const folder = dirname(resolve(out))
  const info = await stat(folder).catch(() => null)
  if (!info?.isDirectory()) {
    throw new GlideError('IO_ERROR', `The output folder ${folder} does not exist.`)
  }
  try {
    await access(folder, constants.W_OK)
  } catch {
    throw new GlideError('IO_ERROR', `The output folder ${folder} is not writable.`)
  }
  const existing = await stat(resolve(out)).catch(() => null)
  if (existing?.isDirectory()) throw new GlideError('IO_ERROR', `--out ${out} is a folder.`)
  return format
}

/**
 * RGBA pixels as a file of the format: PNG losslessly with the settings in tEXt chunks (as the
 * editor's exports), JPEG over white (it has no alpha), WebP with alpha.
 */
export async function encodeOutput(
  rgba: Uint8Array,
  width: number,
  height: number,
  format: OutputFormat,
  text: Record<string, string>,
): Promise<Uint8Array> {
  if (format === 'png') return addPngTextChunks(await encodePng(rgba, width, height, 4), text)
  return encodeLossy(rgba, width, height, format)
}
