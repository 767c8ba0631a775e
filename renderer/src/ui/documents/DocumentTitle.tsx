import { useEffect, useRef, useState } from 'react'
import type { GenerationStage, JobProgress } from '../../../../contract/jobs'
import type { Editor } from '../../editor/Editor'
import { useEditorSnapshot } from '../editor/useEditor'

/**
 * The window's title: the running generation's progress first (it shows on a tab or taskbar
 * button while the person is elsewhere), "●" for unsaved changes, then the document's name.
 */
export function windowTitle(name: string, unsaved: boolean, progress: JobProgress | null): string {
  const running = progress
    ? `${stageWords[progress.stage]} ${Math.floor((100 * progress.step) / progress.totalSteps)}% · `
    : ''
  return `${running}${unsaved ? '● ' : ''}${name} — Glide Studio`
}

const stageWords: Record<GenerationStage, string> = {
  prepare: 'Preparing',
  base: 'Sampling',
  upsample: 'Upsampling',
}

export interface DocumentTitleProps {
  editor: Editor
  /** The running job's latest progress, or null when none runs. */
  progress: JobProgress | null
}

/**
 * The document's name in the header, with a dot while it has unsaved changes; a click renames it
 * (the name its saves and exports are offered under). Also keeps the window's title.
 */
export function DocumentTitle({ editor, progress }: DocumentTitleProps) {
  useEditorSnapshot(editor)
  const [draft, setDraft] = useState<string | null>(null)
  /** Set once Enter or Esc ended the edit: the field's blur as it goes must not commit again. */
  const ended = useRef(false)
  const name = editor.document.title
  const unsaved = editor.isDirty

  useEffect(() => {
    document.title = windowTitle(name, unsaved, progress)
  }, [name, unsaved, progress])

  const finish = (commit: boolean) => {
    if (ended.current) return
    ended.current = true
    if (commit && draft !== null) editor.renameDocument(draft)
    setDraft(null)
  }

  return (
    <div className="document-title">
      {draft === null ? (
        <button
          type="button"
          className="document-name"
          title="Rename the document (its files are offered under this name)"
          onClick={() => {
            ended.current = false
            setDraft(name)
          }}
        >
          {name}
        </button>
      ) : (
        <input
          aria-label="Document name"
          className="document-name-field"
          value={draft}
          maxLength={200}
          autoFocus
          onFocus={(event) => event.currentTarget.select()}
          onChange={(event) => setDraft(event.target.value)}
          onBlur={() => finish(true)}
          onKeyDown={(event) => {
            event.stopPropagation()
            if (event.key === 'Enter') finish(true)
            else if (event.key === 'Escape') finish(false)
          }}
        />
      )}
      {unsaved && (
        <span
          className="unsaved-mark"
          role="img"
          aria-label="Unsaved changes"
          title="Unsaved changes"
        >
          ●
        </span>
      )}
    </div>
  )
}
