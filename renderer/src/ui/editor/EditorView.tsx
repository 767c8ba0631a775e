import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import type { ExportFormat, GenerationInfo, RecoveryEntry } from '../../../../contract/documents'
import {
  randomSeed,
  type RegionSettings,
  type SamplingSettings,
} from '../../../../contract/generation'
import type { GlideApi, ModelSummary } from '../../../../contract/ipc'
import type { JobImage } from '../../../../contract/jobs'
import { resampleRgba } from '../../../../imaging/resample'
import { unwrap } from '../../bridge'
import { Editor } from '../../editor/Editor'
import type { RgbaImage } from '../../editor/EditorDocument'
import { resultLayerPixels, type GenerationRequest } from '../../editor/generation'
import { jobInputFor } from '../../editor/jobInput'
import { Gallery } from '../gallery/Gallery'
import { PromptPanel } from '../prompt/PromptPanel'
import { jobLabel } from '../prompt/QueueList'
import {
  checkPromptValues,
  initialPromptValues,
  rememberedDefaults,
  type PromptValues,
} from '../prompt/promptValues'
import { canvasFromRgba } from '../rgbaCanvas'
import type { GlideState, JobView, PreferredModels } from '../useGlideState'
import type { StepPreview } from './CanvasRenderer'
import { EditorCanvas } from './EditorCanvas'
import { HelpPanel } from './HelpPanel'
import { LayersPanel } from './LayersPanel'
import { StagingBar } from './StagingBar'
import { Toolbar } from './Toolbar'
import { useEditorSnapshot } from './useEditor'
import './editor.css'

const autosaveIntervalMs = 60_000

function asRgba(image: { width: number; height: number; data: Uint8Array }): RgbaImage {
  return {
    width: image.width,
    height: image.height,
    data: new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.byteLength),
  }
}

/** A job's result as the editor's pipelines take it (a view on the same bytes). */
function resultImage(image: JobImage): RgbaImage {
  return asRgba({ width: image.width, height: image.height, data: image.rgba })
}

/** What Generate does with the canvas as it is now. */
function actionText(values: PromptValues, maskPainted: boolean): string {
  if (values.refine) {
    return maskPainted
      ? 'Refines the painted mask inside the frame.'
      : 'Refines the whole frame (image to image).'
  }
  return maskPainted
    ? 'Inpaints the painted mask inside the frame.'
    : 'Fills the frame; transparent parts of a picture are outpainted.'
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
}

/**
 * The layered canvas editor: the prompt panel docked on the left, the canvas with its frame and
 * staged results, layers and the session's gallery on the right; files and recovery.
 */
export function EditorView({ glide, state }: EditorViewProps) {
  const [editor, setEditor] = useState(() => Editor.blank(1024, 1024))
  const [message, setMessage] = useState<string | null>(null)
  const [helpOpen, setHelpOpen] = useState(false)
  const [recoveries, setRecoveries] = useState<RecoveryEntry[]>([])
  const [newSize, setNewSize] = useState<{ width: number; height: number } | null>(null)
  const [values, setValues] = useState<PromptValues>(() =>
    initialPromptValues(state.settings?.defaults ?? null, randomSeed()),
  )
  const [panelError, setPanelError] = useState<string | null>(null)
  /** Every request this window queued, by job id: staging, previews and the gallery need it. */
  const requests = useRef(new Map<string, GenerationRequest>())
  const [progress, setProgress] = useState<StepPreview | null>(null)
  const previewJob = useRef<string | null>(null)
  useEditorSnapshot(editor)
  const maskPainted = editor.document.mask.allocatedTileCount > 0
  const ownJobs = state.jobs
  const queue = useMemo(
    () =>
      ownJobs.filter((job) => job.summary.state === 'queued' || job.summary.state === 'running'),
    [ownJobs],
  )

  const report = useCallback((pending: Promise<unknown>) => {
    pending.catch((failure: Error) => setMessage(failure.message))
  }, [])

  const decode = useCallback(
    async (fileName: string, bytes: Uint8Array<ArrayBuffer>) =>
      asRgba(await unwrap(glide.documents.decodeImage({ fileName, bytes }))),
    [glide],
  )

  const importFiles = useCallback(
    (files: File[], at?: { x: number; y: number }) => {
      report(
        (async () => {
          for (const file of files) {
            const image = await decode(file.name, new Uint8Array(await file.arrayBuffer()))
            const topLeft = at
              ? { x: at.x - image.width / 2, y: at.y - image.height / 2 }
              : undefined
            editor.addImageLayer(image, file.name.replace(/\.[^.]+$/, '') || 'Image', topLeft)
          }
        })(),
      )
    },
    [decode, editor, report],
  )

  const autosavedRevision = useRef<{ editor: Editor; revision: number } | null>(null)
  const autosave = useCallback(() => {
    const last = autosavedRevision.current
    if (!editor.isDirty || (last?.editor === editor && last.revision === editor.revision)) return
    autosavedRevision.current = { editor, revision: editor.revision }
    report(unwrap(glide.documents.autosave({ project: editor.toProjectData() })))
  }, [editor, glide, report])

  const save = useCallback(
    (saveAs = false) =>
      report(
        (async () => {
          const savedRevision = editor.revision
          const saved = await unwrap(
            glide.documents.saveProject({ project: editor.toProjectData(), saveAs }),
          )
          if (saved) {
            editor.markSaved(savedRevision)
            setMessage(`Saved ${saved.fileName}`)
          }
        })(),
      ),
    [editor, glide, report],
  )

  const exportAs = useCallback(
    (format: ExportFormat) =>
      report(
        (async () => {
          const layerId = editor.activeLayerId ?? undefined
          const saved = await unwrap(
            glide.documents.export({
              format,
              project: editor.toProjectData(),
              ...(layerId ? { layerId } : {}),
            }),
          )
          if (saved) setMessage(`Exported ${saved.fileName}`)
        })(),
      ),
    [editor, glide, report],
  )

  const openProject = useCallback(
    () =>
      report(
        (async () => {
          const project = await unwrap(glide.documents.openProject({}))
          if (project) setEditor(Editor.fromProjectData(project))
        })(),
      ),
    [glide, report],
  )

  const newFromImage = useCallback(
    () =>
      report(
        (async () => {
          const image = await unwrap(glide.documents.openImage({}))
          if (image) setEditor(Editor.fromImage(asRgba(image), image.name.replace(/\.[^.]+$/, '')))
          setNewSize(null)
        })(),
      ),
    [glide, report],
  )

  // The saved defaults (what was used last) arrive after the first render.
  const savedDefaults = state.settings?.defaults ?? null
  const appliedDefaults = useRef(false)
  useEffect(() => {
    if (!savedDefaults || appliedDefaults.current) return
    appliedDefaults.current = true
    setValues((current) => ({
      ...initialPromptValues(savedDefaults, Number(current.seed)),
      prompt: current.prompt,
      seed: current.seed,
    }))
  }, [savedDefaults])

  const { setSettings } = state
  const generate = useCallback(() => {
    const run = values.newSeedEachRun ? { ...values, seed: String(randomSeed()) } : values
    const checked = checkPromptValues(run)
    if (!checked.ok) {
      setPanelError(checked.message)
      return
    }
    setPanelError(null)
    setValues(run)
    const { sampling, strength, region } = checked.submission
    unwrap(glide.settings.update({ defaults: rememberedDefaults(sampling) }))
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
  }, [editor, glide, setSettings, state.models, state.preferredModels, values])

  const cancelJob = useCallback(
    (jobId: string) => {
      unwrap(glide.jobs.cancel({ jobId })).catch((failure: Error) => setPanelError(failure.message))
    },
    [glide],
  )

  /** A gallery result becomes a new layer (undoable) over the frame its job was queued with. */
  const placeResult = useCallback(
    (job: JobView, imageIndex: number) => {
      const image = job.summary.result?.images[imageIndex]
      if (!image) return
      const request = requests.current.get(job.summary.id)
      const name = jobLabel(job)
      try {
        if (request && request.documentId === editor.document.id) {
          const { frame } = request
          const pixels = resultLayerPixels(resultImage(image), request)
          editor.addImageLayer(
            { width: frame.width, height: frame.height, data: pixels },
            name,
            frame,
          )
        } else {
          const frame = editor.document.frame
          editor.addImageLayer(
            resampleRgba(resultImage(image), frame.width, frame.height),
            name,
            frame,
          )
        }
      } catch (failure) {
        setMessage((failure as Error).message)
      }
    },
    [editor],
  )

  const recall = useCallback((generation: GenerationInfo) => {
    setValues((current) => ({
      ...current,
      prompt: generation.prompt,
      seed: String(generation.seed),
      newSeedEachRun: false,
      guidanceScale: String(generation.guidanceScale),
      steps: generation.baseRespacing,
      upsampleSteps: generation.upsampleRespacing,
      upsampleTemperature: String(generation.upsampleTemperature),
      modelId: generation.model,
    }))
  }, [])

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
      if (summary.state !== 'done' || !summary.result) return
      editor.stageResults(request, summary.result.images.map(resultImage))
    })
  }, [editor, glide])

  // Every step's preview of this editor's running job, drawn inside its frame.
  useEffect(() => {
    return glide.subscribe('job.progress', ({ jobId, preview }) => {
      const request = requests.current.get(jobId)
      if (!request || !preview || request.documentId !== editor.document.id) return
      previewJob.current = jobId
      const { frame } = request
      setProgress({
        image: canvasFromRgba(preview, {
          data: request.regenerate,
          width: frame.width,
          height: frame.height,
        }),
        rect: frame,
      })
    })
  }, [editor, glide])

  // Keyboard shortcuts, paste, autosave and menu commands.
  useEffect(() => {
    const keyDown = (event: KeyboardEvent) => {
      if (isTextInput(event.target)) return
      if (editor.keyDown(event)) event.preventDefault()
    }
    const keyUp = (event: KeyboardEvent) => editor.keyUp(event)
    const paste = (event: ClipboardEvent) => {
      if (isTextInput(event.target)) return
      const files = [...(event.clipboardData?.files ?? [])].filter((file) =>
        file.type.startsWith('image/'),
      )
      if (files.length > 0) {
        event.preventDefault()
        importFiles(files)
      }
    }
    const timer = window.setInterval(autosave, autosaveIntervalMs)
    const unsubscribeAccepted = editor.subscribe((changes) => {
      if (changes.has('accepted')) autosave()
    })
    // Menu commands run the same registry actions as the toolbar and the keyboard.
    const unsubscribeMenu = glide.subscribe('menu.command', ({ command }) =>
      editor.actions.runMenuCommand(command),
    )
    window.addEventListener('keydown', keyDown)
    window.addEventListener('keyup', keyUp)
    window.addEventListener('paste', paste)
    return () => {
      window.clearInterval(timer)
      unsubscribeAccepted()
      unsubscribeMenu()
      window.removeEventListener('keydown', keyDown)
      window.removeEventListener('keyup', keyUp)
      window.removeEventListener('paste', paste)
    }
  }, [autosave, editor, exportAs, glide, importFiles, openProject, save])

  // Offer what a crashed session left behind.
  useEffect(() => {
    unwrap(glide.documents.listRecoveries({}))
      .then(setRecoveries)
      .catch(() => setRecoveries([]))
  }, [glide])

  const restore = (entry: RecoveryEntry) =>
    report(
      (async () => {
        const project = await unwrap(
          glide.documents.restoreRecovery({ recoveryId: entry.recoveryId }),
        )
        const restored = Editor.fromProjectData({
          ...project,
          title: `${project.title} (recovered)`,
        })
        restored.revision += 1
        setEditor(restored)
        setRecoveries((list) => list.filter((item) => item.recoveryId !== entry.recoveryId))
        await unwrap(glide.documents.discardRecovery({ recoveryId: entry.recoveryId }))
      })(),
    )
  const dismiss = (entry: RecoveryEntry) => {
    setRecoveries((list) => list.filter((item) => item.recoveryId !== entry.recoveryId))
    report(unwrap(glide.documents.discardRecovery({ recoveryId: entry.recoveryId })))
  }

  return (
    <div className="editor-view" data-testid="editor">
      <Toolbar
        editor={editor}
        onNew={() => setNewSize({ width: editor.document.width, height: editor.document.height })}
        onOpen={openProject}
        onSave={() => save(false)}
        onExport={exportAs}
        onToggleHelp={() => setHelpOpen((open) => !open)}
      />
      {recoveries.map((entry) => (
        <div key={entry.recoveryId} className="editor-banner" role="alert" aria-label="Recovery">
          <span>
            “{entry.title}” was not closed cleanly ({new Date(entry.savedAt).toLocaleString()}).
          </span>
          <button type="button" onClick={() => restore(entry)}>
            Restore
          </button>
          <button type="button" onClick={() => dismiss(entry)}>
            Discard
          </button>
        </div>
      ))}
      {message && (
        <div className="editor-banner" role="status">
          <span>{message}</span>
          <button type="button" aria-label="Dismiss" onClick={() => setMessage(null)}>
            ×
          </button>
        </div>
      )}
      {newSize && (
        <form
          className="editor-banner"
          aria-label="New document"
          onSubmit={(event) => {
            event.preventDefault()
            setEditor(Editor.blank(newSize.width, newSize.height))
            setNewSize(null)
          }}
        >
          <label>
            Width
            <input
              type="number"
              min={1}
              max={8192}
              value={newSize.width}
              onChange={(event) => setNewSize({ ...newSize, width: clampSide(event.target.value) })}
            />
          </label>
          <label>
            Height
            <input
              type="number"
              min={1}
              max={8192}
              value={newSize.height}
              onChange={(event) =>
                setNewSize({ ...newSize, height: clampSide(event.target.value) })
              }
            />
          </label>
          <button type="submit">Create</button>
          <button type="button" onClick={newFromImage}>
            From image…
          </button>
          <button type="button" onClick={() => setNewSize(null)}>
            Cancel
          </button>
        </form>
      )}
      <div className="editor-body">
        <aside className="editor-prompt" aria-label="Generation">
          <PromptPanel
            values={values}
            onChange={setValues}
            models={state.models}
            preferredModels={state.preferredModels}
            action={actionText(values, maskPainted)}
            error={panelError ?? state.error}
            queue={queue}
            onGenerate={generate}
            onCancel={cancelJob}
          />
        </aside>
        <div className="editor-stage-area">
          <EditorCanvas
            key={editor.document.id}
            editor={editor}
            onDropFiles={importFiles}
            progress={progress}
          />
          <StagingBar editor={editor} />
          {helpOpen && <HelpPanel onClose={() => setHelpOpen(false)} />}
        </div>
        <aside className="editor-side">
          <LayersPanel editor={editor} onRecall={recall} />
          <Gallery jobs={state.jobs} onPlace={placeResult} />
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

function clampSide(value: string): number {
  return Math.min(8192, Math.max(1, Math.round(Number(value)) || 1))
}
