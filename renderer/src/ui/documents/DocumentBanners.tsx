import { useState } from 'react'
import type { RecoveryEntry } from '../../../../contract/documents'
import { PixelSideField } from '../PixelSideField'

export interface RecoveryBannersProps {
  entries: readonly RecoveryEntry[]
  onRestore(entry: RecoveryEntry): void
  onDiscard(entry: RecoveryEntry): void
}

/** One banner per autosaved copy whose window went away: Restore or Discard. */
export function RecoveryBanners({ entries, onRestore, onDiscard }: RecoveryBannersProps) {
  return (
    <>
      {entries.map((entry) => (
        <div key={entry.recoveryId} className="editor-banner" role="alert" aria-label="Recovery">
          <span>
            “{entry.title}” has unsaved changes from an earlier session (autosaved{' '}
            {new Date(entry.savedAt).toLocaleString()}, {entry.width}×{entry.height},{' '}
            {entry.layerCount} {entry.layerCount === 1 ? 'layer' : 'layers'}).
          </span>
          <button type="button" onClick={() => onRestore(entry)}>
            Restore
          </button>
          <button type="button" onClick={() => onDiscard(entry)}>
            Discard
          </button>
        </div>
      ))}
    </>
  )
}

export interface UnsavedChangesDialogProps {
  title: string
  /** What happens after the answer: "create a new document", "open another file". */
  next: string
  onSave(): void
  onDiscard(): void
  onCancel(): void
}

/** Asked before a document with unsaved changes is replaced (New, Open, Restore). */
export function UnsavedChangesDialog({
  title,
  next,
  onSave,
  onDiscard,
  onCancel,
}: UnsavedChangesDialogProps) {
  return (
    <div
      className="editor-banner documents-confirm"
      role="alertdialog"
      aria-label="Unsaved changes"
      aria-describedby="documents-confirm-text"
      onKeyDown={(event) => {
        if (event.key === 'Escape') onCancel()
      }}
    >
      <span id="documents-confirm-text">
        “{title}” has unsaved changes. Save them before you {next}?
      </span>
      <button type="button" onClick={onSave} autoFocus>
        Save
      </button>
      <button type="button" onClick={onDiscard}>
        Discard changes
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </div>
  )
}

export interface NewDocumentFormProps {
  initial: { width: number; height: number }
  maxSide: number
  onCreate(size: { width: number; height: number }): void
  onFromImage(): void
  onCancel(): void
}

/** New: a blank canvas of a chosen size, or a document made from a picture. */
export function NewDocumentForm({
  initial,
  maxSide,
  onCreate,
  onFromImage,
  onCancel,
}: NewDocumentFormProps) {
  const [size, setSize] = useState(initial)
  const clamp = (value: string) => Math.min(maxSide, Math.max(1, Math.round(Number(value)) || 1))
  return (
    <form
      className="editor-banner"
      aria-label="New document"
      onSubmit={(event) => {
        event.preventDefault()
        onCreate(size)
      }}
    >
      <PixelSideField
        label="Width"
        max={maxSide}
        value={size.width}
        onValue={(value) => setSize({ ...size, width: clamp(value) })}
      />
      <PixelSideField
        label="Height"
        max={maxSide}
        value={size.height}
        onValue={(value) => setSize({ ...size, height: clamp(value) })}
      />
      <button type="submit">Create</button>
      <button type="button" onClick={onFromImage}>
        From image…
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  )
}
