import { useEffect, useRef } from 'react'
import type { Editor } from '../../editor/Editor'
import type { RgbaImage } from '../../editor/EditorDocument'
import { useEditorSnapshot } from './useEditor'

/**
 * A fill this many levels off its surroundings shows as a patch; below it, the model's grain hides
 * the step.
 */
const visibleColourMismatch = 12

/** A staged image, small: the whole frame as the model made it. */
function ResultThumbnail({ image }: { image: RgbaImage }) {
  const canvas = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    const context = canvas.current?.getContext('2d')
    if (!context) return
    context.putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width), 0, 0)
  }, [image])
  return <canvas ref={canvas} width={image.width} height={image.height} aria-hidden="true" />
}

/**
 * Shown while results wait: browse (← →, or a click on a result's thumbnail), compare with the
 * original (\), accept one (Enter), accept all, discard (Esc).
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
      {batch.candidates.length > 1 && (
        <span className="staging-thumbnails">
          {batch.candidates.map((candidate, index) => {
            const image = batch.images[candidate.batchIndex]
            return (
              image && (
                <button
                  key={candidate.batchIndex}
                  type="button"
                  aria-label={`Result ${index + 1}`}
                  aria-pressed={index === batch.index}
                  title={`Show result ${index + 1} of ${batch.candidates.length}`}
                  onClick={() => editor.showStaged(index)}
                >
                  <ResultThumbnail image={image} />
                </button>
              )
            )
          })}
        </span>
      )}
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
