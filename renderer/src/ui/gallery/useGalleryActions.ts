import { useCallback, type RefObject } from 'react'
import type { GenerationInfo } from '../../../../contract/documents'
import type { GlideApi } from '../../../../contract/ipc'
import type { ResultEntry } from '../../../../contract/results'
import { resampleRgba } from '../../../../imaging/resample'
import { unwrap } from '../../bridge'
import type { Editor } from '../../editor/Editor'
import {
  generatedLayerName,
  generationInfo,
  generationInfoOf,
  resultLayerPixels,
  type GenerationRequest,
} from '../../editor/generation'
import { copiedMessage, copyPngToClipboard } from '../clipboard'
import { resultImage } from '../rgbaImages'
import { downloadBytes } from '../documents/download'
import { resultFileName, resultLabel } from './Gallery'

export interface GalleryActionsOptions {
  glide: GlideApi
  editor: Editor
  /** This window's queued requests by job id: a result of one goes back over its own frame. */
  requests: RefObject<ReadonlyMap<string, GenerationRequest>>
  remove(ids: readonly string[]): Promise<void>
  /** Puts a generation's settings into the prompt panel. */
  recall(generation: GenerationInfo): void
  /** Shows a failure to the person. */
  report(message: string): void
  /** Tells the person what was done ("Copied …"). */
  tell(message: string): void
}

export interface GalleryActions {
  place(entry: ResultEntry): void
  save(entry: ResultEntry): void
  copy(entry: ResultEntry): void
  remove(entry: ResultEntry): void
  recall(entry: ResultEntry): void
}

/** What the Gallery's buttons do to the document, the prompt panel and the results folder. */
export function useGalleryActions(options: GalleryActionsOptions): GalleryActions {
  const {
    glide,
    editor,
    requests,
    remove: removeResults,
    recall: recallInfo,
    report,
    tell,
  } = options

  /**
   * A result becomes a new layer (undoable): over the frame its job was queued with when it was
   * made from this document, else resized into the document's frame.
   */
  const place = useCallback(
    (entry: ResultEntry) => {
      void (async () => {
        try {
          const { image } = await unwrap(glide.results.read({ id: entry.id }))
          const request = requests.current?.get(entry.jobId)
          const name = generatedLayerName(entry.settings, entry.index)
          if (request && request.documentId === editor.document.id) {
            const { frame } = request
            const pixels = resultLayerPixels(resultImage(image), request)
            editor.addImageLayer(
              { width: frame.width, height: frame.height, data: pixels },
              name,
              frame,
              generationInfo(request, entry.index, entry.modelIds),
            )
          } else {
            const frame = editor.document.frame
            editor.addImageLayer(
              resampleRgba(resultImage(image), frame.width, frame.height),
              name,
              frame,
              generationInfoOf(entry.kind, entry.settings, frame, entry.index, entry.modelIds),
            )
          }
        } catch (failure) {
          report((failure as Error).message)
        }
      })()
    },
    [editor, glide, report, requests],
  )

  const save = useCallback(
    (entry: ResultEntry) => {
      unwrap(glide.results.read({ id: entry.id }))
        .then(({ png }) => downloadBytes(resultFileName(entry), png))
        .catch((failure: Error) => report(failure.message))
    },
    [glide, report],
  )

  /** The kept file itself goes to the clipboard (read from the results folder). */
  const copy = useCallback(
    (entry: ResultEntry) => {
      const png = unwrap(glide.results.read({ id: entry.id })).then(
        ({ png }) => new Blob([png], { type: 'image/png' }),
      )
      copyPngToClipboard(png)
        .then(() => tell(copiedMessage(resultLabel(entry), entry.width, entry.height)))
        .catch((failure: Error) => report(failure.message))
    },
    [glide, report, tell],
  )

  const remove = useCallback(
    (entry: ResultEntry) => {
      const file = entry.notKept === null ? ' Its file is deleted too.' : ''
      if (!window.confirm(`Delete “${resultLabel(entry)}” from the Gallery?${file}`)) return
      removeResults([entry.id]).catch((failure: Error) => report(failure.message))
    },
    [removeResults, report],
  )

  const recall = useCallback(
    (entry: ResultEntry) =>
      recallInfo(
        generationInfoOf(
          entry.kind,
          entry.settings,
          editor.document.frame,
          entry.index,
          entry.modelIds,
        ),
      ),
    [editor, recallInfo],
  )

  return { place, save, copy, remove, recall }
}
