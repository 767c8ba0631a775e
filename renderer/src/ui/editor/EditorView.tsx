import { useCallback, useEffect, useRef, useState } from 'react'
import type { ExportFormat, GenerationInfo, RecoveryEntry } from '../../../../contract/documents'
import { defaultSamplingSettings } from '../../../../contract/jobs'
import type { GlideApi } from '../../../../contract/ipc'
import { getGlide, unwrap } from '../../bridge'
import { Editor } from '../../editor/Editor'
import type { RgbaImage } from '../../editor/EditorDocument'
import type { GenerationRequest, GenerationSettings } from '../../editor/generation'
import type { Rect } from '../../editor/geometry'
import { bytesFromDataUrl, jobInputFor } from '../../editor/jobInput'
import { EditorCanvas } from './EditorCanvas'
import { HelpPanel } from './HelpPanel'
import { LayersPanel } from './LayersPanel'
import type { PromptSettings } from './PromptBar'
import { PromptBar, randomSeed } from './PromptBar'
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

function isTextInput(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement ||
    (target instanceof HTMLElement && target.isContentEditable)
  )
}

export interface EditorViewProps {
  /** The app API; defaults to the preload's or the browser-mode bridge. */
  glide?: GlideApi
}

/** The layered canvas editor: canvas, tools, layers, prompt, staging, files and recovery. */
export default function EditorView({ glide: providedGlide }: EditorViewProps = {}) {
  const glide = providedGlide ?? getGlide()
  const [editor, setEditor] = useState(() => Editor.blank(1024, 1024))
  const [message, setMessage] = useState<string | null>(null)
  const [helpOpen, setHelpOpen] = useState(false)
  const [recoveries, setRecoveries] = useState<RecoveryEntry[]>([])
  const [newSize, setNewSize] = useState<{ width: number; height: number } | null>(null)
  const [prompt, setPrompt] = useState<PromptSettings>(() => ({
    prompt: '',
    seed: randomSeed(),
    batchSize: 3,
    guidanceScale: 5,
    baseRespacing: defaultSamplingSettings.baseRespacing,
    upsampleRespacing: defaultSamplingSettings.upsampleRespacing,
    upsampleTemperature: defaultSamplingSettings.upsampleTemperature,
    model: '',
  }))
  const requests = useRef(new Map<string, GenerationRequest>())
  const [pendingJobs, setPendingJobs] = useState(0)
  const [progress, setProgress] = useState<{ image: HTMLImageElement; rect: Rect } | null>(null)
  useEditorSnapshot(editor)

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

  const submit = useCallback(
    (mode: GenerationSettings['mode']) =>
      report(
        (async () => {
          const request = editor.captureGeneration({ ...prompt, mode })
          const summary = await unwrap(glide.jobs.submit(jobInputFor(request)))
          requests.current.set(summary.id, request)
          setPendingJobs(requests.current.size)
        })(),
      ),
    [editor, glide, prompt, report],
  )

  const recall = useCallback((generation: GenerationInfo) => {
    setPrompt((current) => ({
      ...current,
      prompt: generation.prompt,
      seed: generation.seed,
      guidanceScale: generation.guidanceScale,
      baseRespacing: generation.baseRespacing,
      upsampleRespacing: generation.upsampleRespacing,
      upsampleTemperature: generation.upsampleTemperature,
      model: generation.model,
    }))
  }, [])

  // Finished jobs become staged results on the document they were queued from.
  useEffect(() => {
    return glide.subscribe('job.updated', (summary) => {
      const request = requests.current.get(summary.id)
      if (!request || summary.state === 'queued' || summary.state === 'running') return
      requests.current.delete(summary.id)
      setPendingJobs(requests.current.size)
      setProgress(null)
      if (summary.state === 'failed') setMessage(summary.error?.message ?? 'The job failed.')
      if (summary.state !== 'done' || !summary.result) return
      report(
        (async () => {
          const images = await Promise.all(
            summary.result?.images.map((image, index) =>
              decode(`result-${index}.png`, bytesFromDataUrl(image.pngDataUrl)),
            ) ?? [],
          )
          editor.stageResults(request, images)
        })(),
      )
    })
  }, [decode, editor, glide, report])

  // Step previews of this editor's running job, shown in its frame.
  useEffect(() => {
    return glide.subscribe('job.progress', ({ jobId, preview }) => {
      const request = requests.current.get(jobId)
      if (!request || !preview || request.documentId !== editor.document.id) return
      const image = new Image()
      image.onload = () => {
        if (requests.current.has(jobId)) setProgress({ image, rect: request.frame })
      }
      image.src = preview
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
    const unsubscribeMenu = glide.subscribe('menu.command', ({ command }) => {
      if (command === 'open') openProject()
      else if (command === 'save') save()
      else if (command === 'export') exportAs('png')
      else if (command === 'undo') editor.undo()
      else if (command === 'redo') editor.redo()
      else if (command === 'zoomIn')
        editor.zoomAt({ x: editor.viewport.width / 2, y: editor.viewport.height / 2 }, 1.25)
      else if (command === 'zoomOut')
        editor.zoomAt({ x: editor.viewport.width / 2, y: editor.viewport.height / 2 }, 0.8)
      else if (command === 'zoomReset') editor.zoomToActualSize()
    })
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
        <div className="editor-stage-area">
          <EditorCanvas
            key={editor.document.id}
            editor={editor}
            onDropFiles={importFiles}
            progress={progress}
          />
          <StagingBar editor={editor} />
        </div>
        <aside className="editor-side">
          <PromptBar
            settings={prompt}
            onChange={setPrompt}
            canInpaint={editor.document.mask.allocatedTileCount > 0}
            pendingJobs={pendingJobs}
            onSubmit={submit}
          />
          <LayersPanel editor={editor} onRecall={recall} />
          {helpOpen && <HelpPanel onClose={() => setHelpOpen(false)} />}
        </aside>
      </div>
    </div>
  )
}

function clampSide(value: string): number {
  return Math.min(8192, Math.max(1, Math.round(Number(value)) || 1))
}
