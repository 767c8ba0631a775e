import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { createPortal } from 'react-dom'
import type { GenerationInfo } from '../../../../contract/documents'
import {
  randomSeed,
  type GenerationMode,
  type RegionSettings,
  type SamplingSettings,
} from '../../../../contract/generation'
import type { GlideApi, ModelSummary } from '../../../../contract/ipc'
import { unwrap } from '../../bridge'
import { Editor } from '../../editor/Editor'
import type { GenerationRequest } from '../../editor/generation'
import { jobInputFor } from '../../editor/jobInput'
import { DocumentTitle } from '../documents/DocumentTitle'
import { fileStem } from '../documents/download'
import { useDocumentFiles } from '../documents/useDocumentFiles'
import { Gallery } from '../gallery/Gallery'
import { useGalleryActions } from '../gallery/useGalleryActions'
import { useResults } from '../gallery/useResults'
import { PromptPanel } from '../prompt/PromptPanel'
import {
  checkPromptValues,
  initialPromptValues,
  recalledValues,
  rememberedDefaults,
  withSavedDefaults,
  type PromptProblem,
  type PromptValues,
} from '../prompt/promptValues'
import { copiedMessage, copyImageToClipboard, hasSelectedText } from '../clipboard'
import { canvasFromRgba, scaledToFit } from '../rgbaCanvas'
import { asRgba, resultImage } from '../rgbaImages'
import type { GlideState, PreferredModels } from '../useGlideState'
import type { StepPreview } from './CanvasRenderer'
import { EditorCanvas } from './EditorCanvas'
import { EditorMessage, useEditorMessage } from './EditorMessage'
import { HelpPanel } from './HelpPanel'
import { HistoryPanel } from './HistoryPanel'
import { LayersPanel } from './LayersPanel'
import { StagingBar } from './StagingBar'
import { Toolbar } from './Toolbar'
import { useEditorSnapshot } from './useEditor'
import { useToolSettings } from './useToolSettings'
import './editor.css'

/** What Generate does with the canvas as it is now. */
function actionText(mode: GenerationMode, maskPainted: boolean): string {
  switch (mode) {
    case 'refine':
      return maskPainted
        ? 'Refines the painted mask inside the frame.'
        : 'Refines the whole frame (image to image).'
    case 'inpaint':
      return maskPainted
        ? 'Inpaints the painted mask inside the frame.'
        : 'Outpaints the transparent part of the frame.'
    case 'text-to-image':
      return 'Fills the frame from the prompt (text to image).'
  }
}

/** What a person is told when a picture larger than the canvas was scaled down to fit it. */
function fittedMessage(
  name: string,
  original: { width: number; height: number },
  placed: { width: number; height: number },
): string {
  const percent = Math.round((placed.width / original.width) * 100)
  return (
    `“${name}” (${original.width}×${original.height}) is larger than the canvas: ` +
    `placed at ${percent} % (${placed.width}×${placed.height}) to fit. Canvas size… makes room, ` +
    `Open keeps every pixel.`
  )
}

function isTextInput(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement ||
    (target instanceof HTMLElement && target.isContentEditable)
  )
}

export interface EditorViewProps {
  glide: GlideApi
  /** Jobs, models and settings, kept current by the app. */
  state: GlideState
  /** Opens the Models dialog (the prompt panel's GLIDE-mini note links to it). */
  onOpenModels(): void
  /** The header's place for the document's name (null until it is mounted). */
  documentSlot: HTMLElement | null
}

/**
 * The layered canvas editor: the prompt panel docked on the left, the canvas with its frame and
 * staged results, layers and the gallery on the right; files and recovery.
 */
export function EditorView({ glide, state, onOpenModels, documentSlot }: EditorViewProps) {
  const [editor, setEditor] = useState(() => Editor.blank(1024, 1024))
  const { message, tell: setMessage, fail: showFailure } = useEditorMessage()
  const [helpOpen, setHelpOpen] = useState(false)
  const [values, setValues] = useState<PromptValues>(() =>
    initialPromptValues(state.settings?.defaults ?? null, randomSeed()),
  )
  const [problem, setProblem] = useState<PromptProblem | null>(null)
  const setPanelError = useCallback(
    (message: string | null) => setProblem(message === null ? null : { message, field: null }),
    [],
  )
  const [notice, setNotice] = useState<string | null>(null)
  /** Every request this window queued, by job id: staging, previews and the gallery need it. */
  const requests = useRef(new Map<string, GenerationRequest>())
  /** The latest step preview, with the document its job was queued from. */
  const [progress, setProgress] = useState<{ documentId: string; preview: StepPreview } | null>(
    null,
  )
  const previewJob = useRef<string | null>(null)
  const changeCount = useEditorSnapshot(editor)
  useToolSettings(editor, glide, state.settings?.tools)
  const maskPainted = editor.document.mask.allocatedTileCount > 0
  const mode = useMemo(
    () => editor.generationMode(values.refine),
    // changeCount: the canvas, mask or frame changed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [editor, changeCount, values.refine],
  )
  const { jobs } = state
  const queue = useMemo(
    () => jobs.filter((job) => job.summary.state === 'queued' || job.summary.state === 'running'),
    [jobs],
  )

  const report = useCallback(
    (pending: Promise<unknown>) => {
      pending.catch((failure: Error) => showFailure(failure.message))
    },
    [showFailure],
  )

  const decode = useCallback(
    async (fileName: string, bytes: Uint8Array<ArrayBuffer>) =>
      asRgba(await unwrap(glide.documents.decodeImage({ fileName, bytes }))),
    [glide],
  )

  const documentFiles = useDocumentFiles({
    glide,
    mode: state.mode,
    editor,
    setEditor,
    setMessage,
    showFailure,
  })
  const { takeDocumentFiles } = documentFiles

  const importFiles = useCallback(
    (files: File[], at?: { x: number; y: number }, layerName?: string) => {
      // .glide and .ora files open as documents; pictures become layers.
      const pictures = takeDocumentFiles(files)
      report(
        (async () => {
          for (const file of pictures) {
            const decoded = await decode(file.name, new Uint8Array(await file.arrayBuffer()))
            const name = layerName ?? (fileStem(file.name) || 'Image')
            // A layer holds only what is on the canvas: a larger picture is placed whole, scaled
            // down to fit and centred, rather than cut to the canvas.
            const { width, height } = editor.document
            const image = scaledToFit(decoded, width, height)
            const fitted = image !== decoded
            const topLeft = fitted
              ? {
                  x: Math.round((width - image.width) / 2),
                  y: Math.round((height - image.height) / 2),
                }
              : at && { x: at.x - image.width / 2, y: at.y - image.height / 2 }
            editor.addImageLayer(image, name, topLeft)
            if (fitted) setMessage(fittedMessage(name, decoded, image))
          }
        })(),
      )
    },
    [decode, editor, report, setMessage, takeDocumentFiles],
  )

  // The saved defaults (what was used last) arrive after the first render; what the person set
  // before they arrived stays.
  const savedDefaults = state.settings?.defaults ?? null
  const appliedDefaults = useRef(false)
  const shownFirst = useRef(values)
  useEffect(() => {
    if (!savedDefaults || appliedDefaults.current) return
    appliedDefaults.current = true
    setValues((current) => withSavedDefaults(current, shownFirst.current, savedDefaults))
  }, [savedDefaults])

  const { setSettings } = state
  const generate = useCallback(() => {
    const run = values.newSeedEachRun ? { ...values, seed: String(randomSeed()) } : values
    const checked = checkPromptValues(run, editor.generationMode(run.refine))
    if (!checked.ok) {
      setProblem({ message: checked.message, field: checked.field })
      return
    }
    setPanelError(null)
    setNotice(null)
    setValues(run)
    const { sampling, strength, region } = checked.submission
    unwrap(
      glide.settings.update({ defaults: rememberedDefaults(sampling, run.guidanceFollowsMode) }),
    )
      .then(setSettings)
      .catch(() => undefined)
    void (async () => {
      try {
        const modelSide = modelSideFor(sampling, state.models, state.preferredModels)
        const request = captureRequest(editor, sampling, strength, region, modelSide)
        const summary = await unwrap(glide.jobs.submit(jobInputFor(request)))
        requests.current.set(summary.id, request)
      } catch (failure) {
        setPanelError((failure as Error).message)
      }
    })()
  }, [editor, glide, setPanelError, setSettings, state.models, state.preferredModels, values])

  const cancelJob = useCallback(
    (jobId: string) => {
      unwrap(glide.jobs.cancel({ jobId })).catch((failure: Error) => setPanelError(failure.message))
    },
    [glide, setPanelError],
  )

  const results = useResults(glide)

  const recall = useCallback((generation: GenerationInfo) => {
    setValues((current) => recalledValues(current, generation))
  }, [])

  const galleryActions = useGalleryActions({
    glide,
    editor,
    requests,
    remove: results.remove,
    recall,
    report: showFailure,
    tell: setMessage,
  })

  // Finished jobs become staged results on the document they were queued from.
  useEffect(() => {
    return glide.subscribe('job.updated', (summary) => {
      const request = requests.current.get(summary.id)
      if (!request || summary.state === 'queued' || summary.state === 'running') return
      if (previewJob.current === summary.id) {
        previewJob.current = null
        setProgress(null)
      }
      if (summary.state === 'failed') {
        setPanelError(summary.error?.message ?? 'The job failed.')
      }
      if (summary.state === 'cancelled') {
        setNotice(
          `Cancelled ${summary.settings.prompt.trim() || 'Untitled'} (${summary.settings.seed})`,
        )
      }
      if (summary.state !== 'done' || !summary.result) return
      editor.stageResults(request, summary.result.images.map(resultImage), summary.result.modelIds)
    })
  }, [editor, glide, setPanelError])

  // Every step's preview of this editor's running job, drawn inside its frame.
  useEffect(() => {
    return glide.subscribe('job.progress', ({ jobId, preview }) => {
      const request = requests.current.get(jobId)
      if (!request || !preview || request.documentId !== editor.document.id) return
      previewJob.current = jobId
      const { frame } = request
      setProgress({
        documentId: request.documentId,
        preview: {
          image: canvasFromRgba(preview, {
            data: request.regenerate,
            width: frame.width,
            height: frame.height,
          }),
          rect: frame,
        },
      })
    })
  }, [editor, glide])

  const copyToClipboard = useCallback(
    (merged: boolean) => {
      const copy = editor.imageToCopy(merged)
      if (!copy) {
        setMessage(
          merged
            ? 'Nothing to copy: the visible layers are empty.'
            : 'Nothing to copy: the layer is empty.',
        )
        return
      }
      const { width, height } = copy.image
      report(
        copyImageToClipboard(copy.image).then(() =>
          setMessage(copiedMessage(copy.name, width, height)),
        ),
      )
    },
    [editor, report, setMessage],
  )
  useEffect(
    () =>
      editor.actions.bind({
        'edit.copy': () => copyToClipboard(false),
        'edit.copy-merged': () => copyToClipboard(true),
        'generate.run': generate,
      }),
    [editor, copyToClipboard, generate],
  )

  // Keyboard shortcuts, copy, paste and menu commands.
  useEffect(() => {
    const keyDown = (event: KeyboardEvent) => {
      // In a field the keys type; only Generate, Save and Open are meant from there too.
      if (isTextInput(event.target)) {
        if (editor.actions.handleKey(event, true)) event.preventDefault()
        return
      }
      // Selected text (a layer's prompt, say) is copied as text.
      if (event.key.toLowerCase() === 'c' && hasSelectedText()) return
      if (editor.keyDown(event)) event.preventDefault()
    }
    // The desktop app's Edit → Copy reaches the page as a copy event, not as keys.
    const copy = (event: ClipboardEvent) => {
      if (event.defaultPrevented || isTextInput(event.target) || hasSelectedText()) return
      if (editor.actions.run('edit.copy')) event.preventDefault()
    }
    const keyUp = (event: KeyboardEvent) => editor.keyUp(event)
    const paste = (event: ClipboardEvent) => {
      if (isTextInput(event.target)) return
      const files = [...(event.clipboardData?.files ?? [])].filter((file) =>
        file.type.startsWith('image/'),
      )
      if (files.length > 0) {
        event.preventDefault()
        // The clipboard names every picture "image.png"; say where it came from instead.
        importFiles(files, undefined, 'Pasted image')
      }
    }
    // Menu commands run the same registry actions as the toolbar and the keyboard.
    const unsubscribeMenu = glide.subscribe('menu.command', ({ command }) =>
      editor.actions.runMenuCommand(command),
    )
    window.addEventListener('keydown', keyDown)
    window.addEventListener('keyup', keyUp)
    window.addEventListener('paste', paste)
    window.addEventListener('copy', copy)
    return () => {
      window.removeEventListener('copy', copy)
      unsubscribeMenu()
      window.removeEventListener('keydown', keyDown)
      window.removeEventListener('keyup', keyUp)
      window.removeEventListener('paste', paste)
    }
  }, [editor, glide, importFiles])

  const runningProgress = queue.find((job) => job.summary.state === 'running')?.progress ?? null

  return (
    <div className="editor-view" data-testid="editor">
      {documentSlot &&
        createPortal(<DocumentTitle editor={editor} progress={runningProgress} />, documentSlot)}
      <Toolbar
        editor={editor}
        onNew={documentFiles.newDocument}
        onOpen={documentFiles.open}
        onSave={() => documentFiles.save(false)}
        onSaveAs={() => documentFiles.save(true)}
        onExport={documentFiles.exportAs}
        onToggleHelp={() => setHelpOpen((open) => !open)}
      />
      {documentFiles.elements}
      <div className="editor-body">
        <aside className="editor-prompt" aria-label="Generation">
          <PromptPanel
            values={values}
            onChange={setValues}
            models={state.models}
            preferredModels={state.preferredModels}
            action={actionText(mode, maskPainted)}
            mode={mode}
            problem={problem ?? (state.error ? { message: state.error, field: null } : null)}
            notice={notice}
            queue={queue}
            onGenerate={generate}
            onCancel={cancelJob}
            onOpenModels={onOpenModels}
          />
        </aside>
        <div className="editor-stage-area">
          <EditorCanvas
            key={editor.document.id}
            editor={editor}
            onDropFiles={importFiles}
            progress={progress?.documentId === editor.document.id ? progress.preview : null}
            onRefused={setMessage}
          />
          <StagingBar editor={editor} />
          <EditorMessage message={message} onDismiss={() => setMessage(null)} />
          {helpOpen && <HelpPanel onClose={() => setHelpOpen(false)} />}
        </div>
        <aside className="editor-side">
          <LayersPanel editor={editor} onRecall={recall} />
          <HistoryPanel editor={editor} />
          <Gallery
            results={results.results}
            total={results.total}
            folder={results.folder}
            onPlace={galleryActions.place}
            onSave={galleryActions.save}
            onCopy={galleryActions.copy}
            onDelete={galleryActions.remove}
            onRecall={galleryActions.recall}
          />
        </aside>
      </div>
    </div>
  )
}

/**
 * The request of one Generate: the frame's pixels and mask now, with the checked settings. The
 * editor picks the kind: refine with a strength, inpaint where the frame is painted or
 * transparent, text to image otherwise.
 */
function captureRequest(
  editor: Editor,
  sampling: SamplingSettings,
  strength: number | null,
  region: RegionSettings,
  modelSide: number,
): GenerationRequest {
  return editor.captureGeneration(
    {
      prompt: sampling.prompt,
      batchSize: sampling.batchSize,
      guidanceScale: sampling.guidanceScale,
      baseRespacing: sampling.baseRespacing,
      upsampleRespacing: sampling.upsampleRespacing,
      upsampleTemperature: sampling.upsampleTemperature,
      seed: sampling.seed,
      model: sampling.modelId ?? '',
      ...(sampling.upsampleModelId !== undefined
        ? { upsampleModel: sampling.upsampleModelId }
        : {}),
      ...(sampling.guidanceMode ? { guidanceMode: sampling.guidanceMode } : {}),
      ...(sampling.clipGuidanceScale !== undefined
        ? { clipGuidanceScale: sampling.clipGuidanceScale }
        : {}),
      ...(sampling.baseSampler ? { baseSampler: sampling.baseSampler } : {}),
      ...(sampling.upsampleSampler ? { upsampleSampler: sampling.upsampleSampler } : {}),
      ...(sampling.guidanceCutoff !== undefined ? { guidanceCutoff: sampling.guidanceCutoff } : {}),
      ...(sampling.guidanceReuseBelow !== undefined
        ? { guidanceReuseBelow: sampling.guidanceReuseBelow }
        : {}),
      ...(sampling.upsampleStart !== undefined ? { upsampleStart: sampling.upsampleStart } : {}),
      ...(sampling.unetPrecision ? { unetPrecision: sampling.unetPrecision } : {}),
      ...(strength !== null ? { refineStrength: strength } : {}),
      region,
    },
    modelSide,
  )
}

/** The side of the images the chosen models end with: the upsampler's, or the base model's. */
function modelSideFor(
  sampling: SamplingSettings,
  models: readonly ModelSummary[],
  preferred: PreferredModels,
): number {
  const find = (id: string | null | undefined) => models.find((model) => model.id === id)
  const upsampler =
    sampling.upsampleModelId === null
      ? undefined
      : find(sampling.upsampleModelId ?? preferred.upsample)
  const base = find(sampling.modelId ?? preferred.base)
  return upsampler?.imageSize ?? base?.imageSize ?? 256
}
