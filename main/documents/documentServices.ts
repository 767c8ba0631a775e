import { access, readFile, stat } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import type { z } from 'zod'
import type {
  DocumentChannel,
  documentChannels,
  DocumentOutput,
  ExportFormat,
  ProjectData,
} from '../../contract/documents'
import { maxEncodedImageBytes } from '../../contract/documents'
import { GlideError } from '../../contract/errors'
import { removeStaleTempFiles, writeFileAtomic } from '../storage/atomicWrite'
import { suggestedFileName } from '../storage/fileNames'
import { DocumentRegistry } from './documentRegistry'
import { flattenProject, generationSummary, layerAtCanvasSize } from './flatten'
import { inProcessDecoder, type DocumentDecoder } from './decoder/documentDecoder'
import { encodeLossy, encodePng } from './imageCodec'
import { writeOpenRaster } from './openRaster'
import { addPngTextChunks } from './pngText'
import { writeProjectFile } from './projectFile'
import { writePsd } from './psd'
import { RecoveryStore } from './recoveryStore'

export { projectFromImage, readDocumentBytes } from './readDocument'

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
  /**
   * Native dialogs (desktop, tests), or null in browser mode: there main cannot reach the user's
   * disk, so saves and exports come back as bytes for the page to download.
   */
  readonly dialogs: DocumentDialogs | null
  readonly recovery?: RecoveryStore
  /**
   * Where untrusted files are decoded: the desktop app and browser mode pass the decoder process
   * (decoder/decoderClient.ts); by default (CLI, tests) it happens in this process.
   */
  readonly decoder?: DocumentDecoder
}

type DocumentHandler<C extends DocumentChannel> = (
  input: z.output<(typeof documentChannels)[C]['input']>,
) => Promise<DocumentOutput<C>>

export type DocumentServices = { readonly [C in DocumentChannel]: DocumentHandler<C> }

/** The documents side of main: one set of handlers per page, one recovery store, one registry. */
export interface DocumentService {
  readonly recovery: RecoveryStore
  readonly registry: DocumentRegistry
  /** The handlers as one page (window, browser tab) sees them. */
  forClient(clientId: string): DocumentServices
  /** A page went away: its documents' copies may be offered to the next page. */
  clientClosed(clientId: string): void
  /** Starts the recovery heartbeat and cleans up after writes killed mid-way. */
  start(): Promise<void>
  /** A clean quit: the heartbeat stops; copies of documents with unsaved changes are kept. */
  stop(): Promise<void>
}

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

const extensions: Record<'project' | ExportFormat, string> = {
  project: '.glide',
  png: '.png',
  'layer-png': '.png',
  jpeg: '.jpg',
  webp: '.webp',
  ora: '.ora',
  psd: '.psd',
}

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
    throw new GlideError('IO_ERROR', `Cannot read ${basename(path)}: ${(error as Error).message}`, {
      cause: error,
    })
  }
}

async function write(path: string, bytes: Uint8Array): Promise<{ fileName: string }> {
  try {
    // A write to this file that was killed mid-way (a crash, power loss) left its temp behind.
    await removeStaleTempFiles(dirname(path), undefined, undefined, basename(path))
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
    case 'jpeg':
    case 'webp':
      return encodeLossy(flattenProject(project), project.width, project.height, format)
    case 'ora':
      return writeOpenRaster(project)
    case 'psd':
      return writePsd(project)
  }
}

/** The handlers of every `documents.*` channel, per page; inputs arrive validated by the router. */
export function createDocumentService(options: DocumentServicesOptions): DocumentService {
  const recovery = options.recovery ?? new RecoveryStore(options.recoveryDirectory)
  const registry = new DocumentRegistry()
  const { dialogs } = options
  const decoder = options.decoder ?? inProcessDecoder

  function suggestedName(project: ProjectData, suffix: string, kind: 'project' | ExportFormat) {
    return suggestedFileName(project.title, suffix, extensions[kind])
  }

  /** Writes where the user chose, or hands the bytes back for a download in browser mode. */
  async function deliver(
    kind: 'project' | ExportFormat,
    name: string,
    knownPath: string | null,
    bytes: () => Promise<Uint8Array>,
  ): Promise<{ fileName: string; download?: Uint8Array<ArrayBuffer>; path?: string } | null> {
    if (!dialogs) {
      const data = await bytes()
      return {
        fileName: name,
        download: new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength),
      }
    }
    const path = knownPath ?? (await dialogs.chooseSavePath(kind, name))
    if (!path) return null
    return { ...(await write(path, await bytes())), path }
  }

  function forClient(clientId: string): DocumentServices {
    recovery.clientOpened(clientId)
    return {
      'documents.decodeImage': async ({ fileName, bytes }) =>
        decoder.decodeImage(bytes, basename(fileName)),

      'documents.openFile': async ({ fileName, bytes }) =>
        registry.adopt(clientId, await decoder.readDocument(bytes, fileName)),

      'documents.close': async ({ documentId }) => {
        const entry = registry.find(clientId, documentId)
        if (!entry) return { closed: false }
        await recovery.discard(entry.recoveryKey)
        registry.forget(clientId, documentId)
        return { closed: true }
      },

      'documents.openImage': async () => {
        const path = await dialogs?.chooseOpenPath('image')
        if (!path) return null
        return decoder.decodeImage(await readUserFile(path), basename(path))
      },

      'documents.openProject': async () => {
        const path = await dialogs?.chooseOpenPath('project')
        if (!path) return null
        const extension = extname(path).toLowerCase()
        if (imageExtensions.has(extension) || extension === '.ora') {
          return registry.adopt(
            clientId,
            await decoder.readDocument(await readUserFile(path), basename(path)),
          )
        }
        // Save writes back to this file without asking.
        return registry.adopt(clientId, await decoder.readProjectFile(path, basename(path)), {
          path,
        })
      },

      'documents.saveProject': async ({ project, saveAs }) => {
        const entry = registry.entry(clientId, project.documentId)
        const saved = await deliver(
          'project',
          suggestedName(project, '', 'project'),
          saveAs ? null : entry.path,
          () => writeProjectFile(project),
        )
        if (!saved) return null
        if (saved.path) entry.path = saved.path
        // The user's file now holds everything the recovery copy did.
        await recovery.discard(entry.recoveryKey)
        return saved.download
          ? { fileName: saved.fileName, download: saved.download }
          : { fileName: saved.fileName }
      },

      'documents.export': async ({ format, project, layerId }) => {
        const layerName = project.layers.find((layer) => layer.id === layerId)?.name
        const suffix = format === 'layer-png' && layerName ? ` - ${layerName}` : ''
        const saved = await deliver(format, suggestedName(project, suffix, format), null, () =>
          exportBytes(format, project, layerId),
        )
        if (!saved) return null
        return saved.download
          ? { fileName: saved.fileName, download: saved.download }
          : { fileName: saved.fileName }
      },

      'documents.autosave': async ({ project }) =>
        recovery.save(registry.entry(clientId, project.documentId).recoveryKey, project, clientId),
      'documents.listRecoveries': async () => recovery.list(clientId),
      'documents.restoreRecovery': async ({ recoveryId }) =>
        registry.adopt(clientId, await recovery.restore(recoveryId, clientId), {
          recoveryKey: recoveryId,
        }),
      'documents.discardRecovery': async ({ recoveryId }) => {
        const offered = await recovery.list(clientId)
        if (!offered.some((entry) => entry.recoveryId === recoveryId)) return { discarded: false }
        return { discarded: await recovery.discard(recoveryId) }
      },
    }
  }

  return {
    recovery,
    registry,
    forClient,
    clientClosed(clientId) {
      registry.clientClosed(clientId)
      recovery.clientClosed(clientId)
    },
    start: () => recovery.start(),
    stop: () => recovery.stop(),
  }
}

/** One page's handlers over a new service (tests, and the desktop app's single window). */
export function createDocumentServices(
  options: DocumentServicesOptions,
  clientId = 'window',
): DocumentServices {
  return createDocumentService(options).forClient(clientId)
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

/**
 * The desktop window's document handlers, which follow its page: each load of the page (a reload,
 * a renderer that crashed and came back) is a new client, so the copies the previous page left
 * are offered to the next one, as a reloaded browser tab's are.
 */
export function pageScopedDocuments(service: DocumentService): {
  readonly handlers: DocumentServices
  /** Call when the window starts loading a new page. */
  newPage(): void
} {
  let pages = 0
  let clientId = `window-${pages}`
  let current = service.forClient(clientId)
  const handlers = Object.fromEntries(
    Object.keys(current).map((channel) => [
      channel,
      (input: never) => (current[channel as DocumentChannel] as (input: never) => unknown)(input),
    ]),
  ) as unknown as DocumentServices
  return {
    handlers,
    newPage() {
      service.clientClosed(clientId)
      pages += 1
      clientId = `window-${pages}`
      current = service.forClient(clientId)
    },
  }
}
