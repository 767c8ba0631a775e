import type { Editor } from '../../editor/Editor'
import { useEditorSnapshot } from './useEditor'

/**
 * A fill this many levels off its surroundings shows as a patch; below it, the model's grain hides
 * the step.
 */
const visibleColourMismatch = 12

/**
 * Shown while results wait: browse (← →), compare with the original (\), accept one (Enter),
 * accept all, discard (Esc).
 */
export function StagingBar({ editor }: { editor: Editor }) {
  useEditorSnapshot(editor)
  const batch = editor.stagedBatch
  if (!batch) return null
  const waiting = editor.staging.length - 1
  const mismatch = editor.stagedCandidate?.colourMismatch ?? 0
  return (
    <div className="staging-bar" role="group" aria-label="Results">
      <button type="button" aria-label="Previous result" onClick={() => editor.browseStaged(-1)}>
        ←
      </button>
      <span aria-live="polite">
        {batch.index + 1} / {batch.candidates.length}
        {waiting > 0 ? ` (+${waiting} waiting)` : ''}
      </span>
      <button type="button" aria-label="Next result" onClick={() => editor.browseStaged(1)}>
        →
      </button>
      <button
        type="button"
        aria-label="Show original"
        aria-pressed={editor.stagedOriginalShown}
        title="Hide the result to see the picture under it (\)"
        onClick={() => editor.toggleStagedOriginal()}
      >
        Original
      </button>
      <button
        type="button"
        className="primary"
        aria-label="Accept"
        onClick={() => editor.acceptStaged()}
      >
        Accept
      </button>
      <button type="button" aria-label="Accept all" onClick={() => editor.acceptAllStaged()}>
        Accept all
      </button>
      <button type="button" aria-label="Discard" onClick={() => editor.discardStaged()}>
        Discard
      </button>
      {mismatch >= visibleColourMismatch && (
        <span className="staging-hint" role="note">
          The fill is {mismatch} levels off the picture at the mask&apos;s edge.{' '}
          <button
            type="button"
            title="Shift these results to the colour around the mask, as Colour match does (no new generation)"
            onClick={() => editor.matchStagedColours()}
          >
            Match colours
          </button>
        </span>
      )}
    </div>
  )
}
