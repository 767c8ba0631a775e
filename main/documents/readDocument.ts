import { basename, extname } from 'node:path'
import type { DecodedImage, ProjectData } from '../../contract/documents'
import { GlideError } from '../../contract/errors'
import { decodeImage, sniffImageFormat } from './imageCodec'
import { defaultFrame, readOpenRaster, withTempFile } from './openRaster'
import { readProjectFile } from './projectFile'

/**
 * Reading untrusted files into documents. Under the desktop app and browser mode these run in the
 * document decoder process (decoder/), never in main; the CLI and tests call them directly.
 */

function titleOf(fileName: string): string {
  return basename(fileName, extname(fileName)).slice(0, 200) || 'Untitled'
}

/** A new document holding one image as its only layer (File → Open on a picture). */
export function projectFromImage(image: DecodedImage, title: string): ProjectData {
  const { width, height } = image
  return {
    documentId: `doc-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`,
    title: title.slice(0, 200) || 'Untitled',
    width,
    height,
    frame: defaultFrame(width, height),
    layers: [
      {
        id: 'image',
        name: title.slice(0, 200) || 'Image',
        visible: true,
        opacity: 1,
        locked: false,
        pixels: { bounds: { x: 0, y: 0, width, height }, data: image.data },
      },
    ],
    mask: null,
  }
}

function isZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04
}

/**
 * A document from a file's bytes, whatever it is: a .glide or .ora (both zips, told apart by
 * their contents) or an image, which becomes a document of its size.
 */
export async function readDocumentBytes(bytes: Uint8Array, fileName: string): Promise<ProjectData> {
  const name = basename(fileName)
  const title = titleOf(name)
  if (isZip(bytes)) {
    return withTempFile(bytes, async (path) => {
      const extension = extname(name).toLowerCase()
      try {
        return extension === '.ora'
          ? await readOpenRaster(path, 'ora-opened', title)
          : // The file's name is the document's, as the person sees it in their folder.
            { ...(await readProjectFile(path, name)), title }
      } catch (error) {
        // A zip without a manifest may still be OpenRaster under another name.
        if (extension !== '.ora' && (error as GlideError).code === 'PROJECT_INVALID') {
          const ora = await readOpenRaster(path, 'ora-opened', title).catch(() => null)
          if (ora) return ora
        }
        throw error
      }
    })
  }
  if (!sniffImageFormat(bytes) && /\.(glide|ora)$/i.test(name)) {
    throw new GlideError('PROJECT_INVALID', `${name} is not a Glide Studio or OpenRaster file.`)
  }
  return projectFromImage(await decodeImage(bytes, name), title)
}
