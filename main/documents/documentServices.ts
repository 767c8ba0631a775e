import { access, readFile, stat } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'
import type { z } from 'zod'
import type {
  DecodedImage,
  DocumentChannel,
  documentChannels,
  DocumentOutput,
  ExportFormat,
  ProjectData,
} from '../../contract/documents'
import { maxEncodedImageBytes } from '../../contract/documents'
import { GlideError } from '../../contract/errors'
import { writeFileAtomic } from '../storage/atomicWrite'
import { flattenProject, generationSummary, layerAtCanvasSize } from './flatten'
import { decodeImage, encodePng } from './imageCodec'
import { defaultFrame, readOpenRaster, writeOpenRaster } from './openRaster'
import { addPngTextChunks } from './pngText'
import { readProjectFile, writeProjectFile } from './projectFile'
import { writePsd } from './psd'
import { RecoveryStore } from './recoveryStore'

export type FileKind = 'image' | 'project' | ExportFormat

/**
 * Where files come from and go to. Electron implements these with dialogs; browser mode and tests
 * with a folder. Paths never come from the renderer.
 */
export interface DocumentDialogs {
  chooseOpenPath(kind: 'image' | 'project'): Promise<string | null>
  chooseSavePath(kind: 'project' | ExportFormat, suggestedName: string): Promise<string | null>
}

export interface DocumentServicesOptions {
  readonly recoveryDirectory: string
  readonly dialogs: DocumentDialogs
  readonly recovery?: RecoveryStore
}

type DocumentHandler<C extends DocumentChannel> = (
  input: z.output<(typeof documentChannels)[C]['input']>,
) => Promise<DocumentOutput<C>>

export type DocumentServices = { readonly [C in DocumentChannel]: DocumentHandler<C> }

const imageExtensions = new Set([
  '.png',
  '.jpg',
  '.jpeg',
  '.webp',
  '.tif',
  '.tiff',
  '.gif',
  '.avif',
])

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

const extensions: Record<'project' | ExportFormat, string> = {
  project: '.glide',
  png: '.png',
  'layer-png': '.png',
  ora: '.ora',
  psd: '.psd',
}

/** The handlers of every `documents.*` channel; inputs arrive validated by the router. */
export function createDocumentServices(options: DocumentServicesOptions): DocumentServices {
  const recovery = options.recovery ?? new RecoveryStore(options.recoveryDirectory)
  const { dialogs } = options
  /** Where each open document was last saved, so Save does not ask again. */
  const savedPaths = new Map<string, string>()

  async function readUserFile(path: string): Promise<Uint8Array> {
    try {
      const info = await stat(path)
      if (!info.isFile()) throw new GlideError('IO_ERROR', `${basename(path)} is not a file.`)
      if (info.size > maxEncodedImageBytes) {
        throw new GlideError(
          'IMAGE_TOO_LARGE',
          `${basename(path)} is larger than ${maxEncodedImageBytes >> 20} MiB.`,
        )
      }
      return await readFile(path)
    } catch (error) {
      if (error instanceof GlideError) throw error
      throw new GlideError(
        'IO_ERROR',
        `Cannot read ${basename(path)}: ${(error as Error).message}`,
        { cause: error },
      )
    }
  }

  async function write(path: string, bytes: Uint8Array): Promise<{ fileName: string }> {
    try {
      await writeFileAtomic(path, bytes)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOSPC')
        throw new GlideError('DISK_FULL', 'The disk is full; nothing was overwritten.')
      throw new GlideError(
        'IO_ERROR',
        `Cannot write ${basename(path)}: ${(error as Error).message}`,
        {
          cause: error,
        },
      )
    }
    return { fileName: basename(path) }
  }

  function suggestedName(
    project: ProjectData,
    suffix: string,
    kind: 'project' | ExportFormat,
  ): string {
    const stem = safeFileStem(project.title)
    return `${stem}${suffix}${extensions[kind]}`
  }

  async function exportBytes(
    format: ExportFormat,
    project: ProjectData,
    layerId?: string,
  ): Promise<Uint8Array> {
    switch (format) {
      case 'png': {
        const png = await encodePng(flattenProject(project), project.width, project.height, 4)
        return addPngTextChunks(png, {
          Software: 'Glide Studio',
          parameters: generationSummary(project),
        })
      }
      case 'layer-png': {
        const layer = project.layers.find((candidate) => candidate.id === layerId)
        if (!layer) throw new GlideError('INVALID_ARGUMENT', 'No such layer to export.')
        const png = await encodePng(
          layerAtCanvasSize(layer, project.width, project.height),
          project.width,
          project.height,
          4,
        )
        return layer.generation
          ? addPngTextChunks(png, {
              Software: 'Glide Studio',
              parameters: JSON.stringify(layer.generation),
            })
          : png
      }
      case 'ora':
        return writeOpenRaster(project)
      case 'psd':
        return writePsd(project)
    }
  }

  return {
    'documents.decodeImage': async ({ fileName, bytes }) => decodeImage(bytes, basename(fileName)),

    'documents.openImage': async () => {
      const path = await dialogs.chooseOpenPath('image')
      if (!path) return null
      return decodeImage(await readUserFile(path), basename(path))
    },

    'documents.openProject': async () => {
      const path = await dialogs.chooseOpenPath('project')
      if (!path) return null
      const title = basename(path, extname(path))
      const extension = extname(path).toLowerCase()
      if (imageExtensions.has(extension)) {
        return projectFromImage(await decodeImage(await readUserFile(path), basename(path)), title)
      }
      if (extension === '.ora') {
        return readOpenRaster(path, `ora-${Date.now().toString(36)}`, title)
      }
      const project = await readProjectFile(path, basename(path))
      savedPaths.set(project.documentId, path)
      return project
    },

    'documents.saveProject': async ({ project, saveAs }) => {
      let path = saveAs ? undefined : savedPaths.get(project.documentId)
      if (!path) {
        path =
          (await dialogs.chooseSavePath('project', suggestedName(project, '', 'project'))) ??
          undefined
        if (!path) return null
      }
      const saved = await write(path, await writeProjectFile(project))
      savedPaths.set(project.documentId, path)
      // The user's file now holds everything the recovery copy did.
      await recovery.discard(project.documentId)
      return saved
    },

    'documents.export': async ({ format, project, layerId }) => {
      const layerName = project.layers.find((layer) => layer.id === layerId)?.name
      const suffix =
        format === 'layer-png' && layerName ? ` - ${layerName.replace(/[\\/:*?"<>|]/g, '_')}` : ''
      const path = await dialogs.chooseSavePath(format, suggestedName(project, suffix, format))
      if (!path) return null
      return write(path, await exportBytes(format, project, layerId))
    },

    'documents.autosave': async ({ project }) => recovery.save(project),
    'documents.listRecoveries': async () => recovery.list(),
    'documents.restoreRecovery': async ({ recoveryId }) => recovery.restore(recoveryId),
    'documents.discardRecovery': async ({ recoveryId }) => ({
      discarded: await recovery.discard(recoveryId),
    }),
  }
}

/**
 * Dialogs for browser mode and tests: saves go to `directory` under the suggested name (made
 * unique), opens are not possible (the page sends bytes through documents.decodeImage instead).
 */
export function folderDialogs(directory: string): DocumentDialogs {
  return {
    chooseOpenPath: async () => null,
    chooseSavePath: async (_kind, suggestedName) => {
      const extension = extname(suggestedName)
      const stem = suggestedName.slice(0, suggestedName.length - extension.length)
      for (let attempt = 0; attempt < 1000; attempt++) {
        const candidate = join(
          directory,
          attempt === 0 ? suggestedName : `${stem} (${attempt})${extension}`,
        )
        try {
          await access(candidate)
        } catch {
          return candidate
        }
      }
      return null
    },
  }
}

/** Call on a clean quit so this session's recovery copies are not offered on the next start. */
export async function discardSessionRecoveries(recoveryDirectory: string): Promise<void> {
  await new RecoveryStore(recoveryDirectory).discardOwn()
}

function safeFileStem(title: string): string {
  const cleaned = Array.from(title, (char) =>
    char.charCodeAt(0) < 0x20 || '\\/:*?"<>|'.includes(char) ? '_' : char,
  ).join('')
  return cleaned.trim() || 'Untitled'
}
