import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react'
import type { ExportFormat, ProjectData, RecoveryEntry } from '../../../../contract/documents'
import { maxDocumentSide } from '../../../../contract/documents'
import type { GlideApi } from '../../../../contract/ipc'
import { unwrap } from '../../bridge'
import { Editor } from '../../editor/Editor'
import { AutosaveSchedule } from './autosaveSchedule'
import { NewDocumentForm, RecoveryBanners, UnsavedChangesDialog } from './DocumentBanners'
import { downloadBytes, fileStem, isDocumentFile } from './download'

/** An autosave follows this long after the last change, and at least every minute while dirty. */
const autosaveDelayMs = 5_000
const autosaveIntervalMs = 60_000
/** Longer than main's stale-heartbeat limit (30 s). */
const recoveryRecheckMs = 35_000

export interface DocumentFilesOptions {
  glide: GlideApi
  /** Browser mode opens through an in-page file picker and downloads what it saves. */
  mode: 'desktop' | 'browser' | 'cli' | null
  editor: Editor
  setEditor(editor: Editor): void
  /** News for the person ("Saved …"). */
  setMessage(message: string | null): void
  /** A failure, shown until dismissed. */
  showFailure(message: string): void
}

export interface DocumentFiles {
  /** New (asks first when the document has unsaved changes). */
  newDocument(): void
  open(): void
  save(saveAs?: boolean): void
  exportAs(format: ExportFormat): void
  /** Opens dropped .glide/.ora files as documents; returns the files left to add as layers. */
  takeDocumentFiles(files: readonly File[]): File[]
  /** Recovery banners, the unsaved-changes question, the New form and the hidden file picker. */
  elements: ReactNode
}

interface PendingReplace {
  /** "open “sky.png”", "create a new document" */
  next: string
  proceed(): void
  cancelled?(): void
}

/**
 * Everything about files and not losing work: New, Open, Save, Export, autosave, recovery, and
 * the unsaved-changes guards (a question before New / Open / Restore replace a changed document,
 * the browser's own question on reload or tab close, Electron's on window close).
 */
export function useDocumentFiles({
  glide,
  mode,
  editor,
  setEditor,
  setMessage,
  showFailure,
}: DocumentFilesOptions): DocumentFiles {
  const [recoveries, setRecoveries] = useState<RecoveryEntry[]>([])
  const [pending, setPending] = useState<PendingReplace | null>(null)
  const [newForm, setNewForm] = useState<{ width: number; height: number } | null>(null)
  const picker = useRef<HTMLInputElement>(null)
  const pickPurpose = useRef<'open' | 'image'>('open')
  const browser = mode !== 'desktop'

  const report = useCallback(
    (work: Promise<unknown>) => {
      work.catch((failure: Error) => showFailure(failure.message))
    },
    [showFailure],
  )

  // Autosave: soon after changes, every minute while dirty, at once after an accepted result,
  // and when the page is about to go away.
  const lastAutosave = useRef<{ editor: Editor; revision: number } | null>(null)
  const autosave = useCallback(() => {
    const last = lastAutosave.current
    if (!editor.isDirty || (last?.editor === editor && last.revision === editor.revision)) return
    lastAutosave.current = { editor, revision: editor.revision }
    report(unwrap(glide.documents.autosave({ project: editor.toProjectData() })))
  }, [editor, glide, report])

  useEffect(() => {
    const schedule = new AutosaveSchedule(autosave, autosaveDelayMs)
    const unsubscribe = editor.subscribe((changes) => schedule.changed(changes))
    const interval = window.setInterval(autosave, autosaveIntervalMs)
    const beforeUnload = (event: BeforeUnloadEvent) => {
      if (!editor.isDirty) return
      autosave()
      // Browsers ask "Leave site?"; Electron's main process asks with its own dialog.
      event.preventDefault()
      event.returnValue = true
    }
    window.addEventListener('beforeunload', beforeUnload)
    return () => {
      unsubscribe()
      schedule.dispose()
      window.clearInterval(interval)
      window.removeEventListener('beforeunload', beforeUnload)
    }
  }, [autosave, editor])

  const save = useCallback(
    async (saveAs = false): Promise<boolean> => {
      const revision = editor.revision
      const saved = await unwrap(
        glide.documents.saveProject({ project: editor.toProjectData(), saveAs }),
      )
      if (!saved) return false
      if (saved.download) downloadBytes(saved.fileName, saved.download)
      // A name the person chose in the save dialog names the document; a download is named after it.
      editor.markSaved(revision, saved.download ? undefined : fileStem(saved.fileName))
      setMessage(
        saved.download ? `Saved ${saved.fileName} to your downloads` : `Saved ${saved.fileName}`,
      )
      return true
    },
    [editor, glide, setMessage],
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
              ...(format === 'layer-png' && layerId ? { layerId } : {}),
            }),
          )
          if (!saved) return
          if (saved.download) downloadBytes(saved.fileName, saved.download)
          setMessage(
            saved.download
              ? `Exported ${saved.fileName} to your downloads`
              : `Exported ${saved.fileName}`,
          )
        })(),
      ),
    [editor, glide, report, setMessage],
  )

  /** Replaces the document, first asking about unsaved changes; the old one is closed in main. */
  const replaceWith = useCallback(
    (next: string, make: () => Editor | null, cancelled?: () => void) => {
      const proceed = () => {
        const replacement = make()
        if (!replacement) return
        report(unwrap(glide.documents.close({ documentId: editor.document.id })))
        setEditor(replacement)
        // Opening or restoring instead of finishing New: the New form has nothing left to do.
        setNewForm(null)
      }
      if (editor.isDirty) setPending({ next, proceed, ...(cancelled ? { cancelled } : {}) })
      else proceed()
    },
    [editor, glide, report, setEditor],
  )

  const openProject = useCallback(
    (project: ProjectData, label: string) =>
      replaceWith(
        `open ${label}`,
        () => Editor.fromProjectData(project),
        () => report(unwrap(glide.documents.close({ documentId: project.documentId }))),
      ),
    [glide, replaceWith, report],
  )

  const pickFile = useCallback((purpose: 'open' | 'image') => {
    const input = picker.current
    if (!input) return
    pickPurpose.current = purpose
    input.accept = purpose === 'image' ? 'image/*' : '.glide,.ora,image/*'
    input.value = ''
    input.click()
  }, [])

  const open = useCallback(() => {
    if (browser) {
      pickFile('open')
      return
    }
    report(
      (async () => {
        const project = await unwrap(glide.documents.openProject({}))
        if (project) openProject(project, `“${project.title}”`)
      })(),
    )
  }, [browser, glide, openProject, pickFile, report])

  const newDocument = useCallback(() => {
    const showForm = () =>
      setNewForm({ width: editor.document.width, height: editor.document.height })
    if (editor.isDirty) setPending({ next: 'start a new document', proceed: showForm })
    else showForm()
  }, [editor])

  /** New → Create and New → From image: the document was already asked about at New. */
  const replaceUnasked = useCallback(
    (replacement: Editor) => {
      report(unwrap(glide.documents.close({ documentId: editor.document.id })))
      setEditor(replacement)
      setNewForm(null)
    },
    [editor, glide, report, setEditor],
  )

  const newFromImage = useCallback(() => {
    if (browser) {
      pickFile('image')
      return
    }
    report(
      (async () => {
        const image = await unwrap(glide.documents.openImage({}))
        if (!image) return
        const { width, height, data } = image
        replaceUnasked(
          Editor.fromImage(
            {
              width,
              height,
              data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
            },
            image.name.replace(/\.[^.]+$/, '') || 'Image',
          ),
        )
      })(),
    )
  }, [browser, glide, pickFile, replaceUnasked, report])

  /** A picked or dropped file; New → From image was asked about already. */
  const openFile = useCallback(
    (file: File, alreadyAsked = false) =>
      report(
        (async () => {
          const bytes = new Uint8Array(await file.arrayBuffer())
          const project = await unwrap(glide.documents.openFile({ fileName: file.name, bytes }))
          if (alreadyAsked) replaceUnasked(Editor.fromProjectData(project))
          else openProject(project, `“${file.name}”`)
        })(),
      ),
    [glide, openProject, replaceUnasked, report],
  )

  const takeDocumentFiles = useCallback(
    (files: readonly File[]): File[] => {
      const documents = files.filter((file) => isDocumentFile(file.name))
      const first = documents[0]
      if (first) openFile(first)
      return files.filter((file) => !isDocumentFile(file.name))
    },
    [openFile],
  )

  // Offer the copies whose window went away: a crash, a quit with unsaved changes, a reload.
  useEffect(() => {
    const seen = new Set<string>()
    const list = () =>
      unwrap(glide.documents.listRecoveries({}))
        .then((entries) => {
          // Only new ones: a copy the user already restored or discarded is not offered twice.
          const fresh = entries.filter((entry) => !seen.has(entry.recoveryId))
          for (const entry of fresh) seen.add(entry.recoveryId)
          if (fresh.length > 0) setRecoveries((current) => [...current, ...fresh])
        })
        .catch(() => undefined)
    void list()
    // A session that crashed moments before this start still looks alive until its heartbeat
    // goes stale; look once more after that.
    const again = window.setTimeout(() => void list(), recoveryRecheckMs)
    return () => window.clearTimeout(again)
  }, [glide])

  const restore = (entry: RecoveryEntry) =>
    report(
      (async () => {
        const project = await unwrap(
          glide.documents.restoreRecovery({ recoveryId: entry.recoveryId }),
        )
        setRecoveries((list) => list.filter((item) => item.recoveryId !== entry.recoveryId))
        replaceWith(`restore “${entry.title}”`, () => {
          const restored = Editor.fromProjectData(project)
          // Unsaved until the user saves it; the copy stays until then (or the next autosave).
          restored.revision += 1
          setMessage(`Restored “${entry.title}”; save it to keep it in a file.`)
          return restored
        })
      })(),
    )
  const discardRecovery = (entry: RecoveryEntry) => {
    setRecoveries((list) => list.filter((item) => item.recoveryId !== entry.recoveryId))
    report(unwrap(glide.documents.discardRecovery({ recoveryId: entry.recoveryId })))
  }

  const elements = (
    <>
      <input
        ref={picker}
        type="file"
        aria-label="Open"
        hidden
        data-testid="documents.picker"
        onChange={(event) => {
          const file = event.target.files?.[0]
          if (!file) return
          openFile(file, pickPurpose.current === 'image')
        }}
      />
      <RecoveryBanners entries={recoveries} onRestore={restore} onDiscard={discardRecovery} />
      {pending && (
        <UnsavedChangesDialog
          title={editor.document.title}
          next={pending.next}
          onSave={() => {
            const { proceed } = pending
            setPending(null)
            report(save().then((saved) => saved && proceed()))
          }}
          onDiscard={() => {
            setPending(null)
            pending.proceed()
          }}
          onCancel={() => {
            setPending(null)
            pending.cancelled?.()
          }}
        />
      )}
      {newForm && (
        <NewDocumentForm
          initial={newForm}
          maxSide={maxDocumentSide}
          onCreate={({ width, height }) => replaceUnasked(Editor.blank(width, height))}
          onFromImage={newFromImage}
          onCancel={() => setNewForm(null)}
        />
      )}
    </>
  )

  return {
    newDocument,
    open,
    save: (saveAs?: boolean) => report(save(saveAs)),
    exportAs,
    takeDocumentFiles,
    elements,
  }
}
