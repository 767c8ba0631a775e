import { useEffect, useRef, useState } from 'react'
import type { JobImage } from '../../../../contract/jobs'
import { promptWords, type ResultEntry } from '../../../../contract/results'
import { settingsLabel } from '../prompt/QueueList'
import { drawRgba } from '../rgbaCanvas'

/** "a red boat (4242)", and ", 2 of 4" for one of a batch. */
export function resultLabel(entry: ResultEntry): string {
  const label = settingsLabel(entry.settings)
  return entry.count > 1 ? `${label}, ${entry.index + 1} of ${entry.count}` : label
}

/** A file name for a saved result: the prompt's words, the seed and the variation. */
export function resultFileName(entry: ResultEntry): string {
  const words = promptWords(entry.settings.prompt, 40)
  return `${words || 'glide'}-${entry.settings.seed}-${entry.index + 1}.png`
}

/**
 * One thumbnail drawn at its own size (CSS scales it); a click or Enter shows its details, Delete
 * deletes it (after asking).
 */
function ResultThumbnail({
  image,
  label,
  selected,
  onSelect,
  onDelete,
}: {
  image: JobImage
  label: string
  selected: boolean
  onSelect(): void
  /** Delete or Backspace on the focused thumbnail. */
  onDelete(): void
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    if (canvasRef.current) drawRgba(canvasRef.current, image)
  }, [image])
  return (
    <canvas
      ref={canvasRef}
      className="gallery-image"
      role="img"
      aria-label={label}
      aria-describedby={selected ? 'gallery-selected-details' : undefined}
      tabIndex={0}
      onClick={onSelect}
      onKeyDown={(event) => {
        const action =
          event.key === 'Enter' || event.key === ' '
            ? onSelect
            : event.key === 'Delete' || event.key === 'Backspace'
              ? onDelete
              : null
        if (!action) return
        // The editor's keys (Enter accepts a staged result, Delete…) are not meant here.
        event.preventDefault()
        event.stopPropagation()
        action()
      }}
    />
  )
}

export interface GalleryProps {
  /** Newest first: this session's results and those kept from earlier ones. */
  results: readonly ResultEntry[]
  /** How many the results folder holds. */
  total: number
  /** Where results are kept (null where nothing is kept). */
  folder: string | null
  onPlace(entry: ResultEntry): void
  onSave(entry: ResultEntry): void
  /** Puts the result's PNG on the system clipboard. */
  onCopy(entry: ResultEntry): void
  onDelete(entry: ResultEntry): void
  /** Puts the result's prompt, seed and settings into the prompt panel. */
  onRecall(entry: ResultEntry): void
}

/** The selected result's buttons: text, accessible name, and the Gallery action each runs. */
const detailActions = [
  { label: 'Place', name: 'Put this result on the canvas', run: 'onPlace' },
  { label: 'Use settings', name: "Use this result's settings", run: 'onRecall' },
  { label: 'Save', name: 'Save this result', run: 'onSave' },
  { label: 'Copy', name: 'Copy this result to the clipboard', run: 'onCopy' },
  { label: 'Delete', name: 'Delete this result', run: 'onDelete' },
] as const

/** What made a result, under the grid when it is selected. */
function ResultDetails({
  entry,
  actions,
}: {
  entry: ResultEntry
  actions: Pick<GalleryProps, 'onPlace' | 'onSave' | 'onCopy' | 'onDelete' | 'onRecall'>
}) {
  const { settings } = entry
  const guidance =
    settings.guidanceMode === 'clip'
      ? `CLIP ${settings.clipGuidanceScale ?? ''}`.trim()
      : String(settings.guidanceScale)
  const kind = { generate: 'text to image', inpaint: 'inpainting', refine: 'refine' }[entry.kind]
  return (
    <div
      className="gallery-details"
      id="gallery-selected-details"
      role="group"
      aria-label="Result details"
    >
      <p className="gallery-detail-prompt">{settings.prompt.trim() || 'Untitled'}</p>
      <p className="muted">
        Seed {settings.seed}
        {entry.count > 1 ? ` (${entry.index + 1} of ${entry.count})` : ''} · guidance {guidance} ·
        steps {settings.baseRespacing} / {settings.upsampleRespacing}
      </p>
      <p className="muted">
        {kind} · {entry.modelIds.join(' → ') || 'best installed model'} · {entry.width}×
        {entry.height} · {new Date(entry.finishedAt).toLocaleString()}
      </p>
      <div className="gallery-detail-actions">
        {detailActions.map(({ label, name, run }) => (
          <button key={label} type="button" aria-label={name} onClick={() => actions[run](entry)}>
            {label}
          </button>
        ))}
      </div>
    </div>
  )
}

/** Whether every word of `query` is in the result's prompt or is its seed (any case). */
export function matchesSearch(entry: ResultEntry, query: string): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean)
  const prompt = entry.settings.prompt.toLowerCase()
  const seed = String(entry.settings.seed)
  return words.every((word) => prompt.includes(word) || seed === word)
}

/** Every result the app has made, kept between sessions; any can go on the canvas as a layer. */
export function Gallery(props: GalleryProps) {
  const { results, total, folder, onPlace, onSave, onDelete } = props
  const [selectedId, setSelectedId] = useState<string | null>(null)
  const [query, setQuery] = useState('')
  const shown = query.trim() ? results.filter((entry) => matchesSearch(entry, query)) : results
  const selected = shown.find((entry) => entry.id === selectedId) ?? null
  const hidden = total - results.filter((entry) => entry.notKept === null).length
  return (
    <section className="gallery" aria-label="Gallery">
      <header className="gallery-header">
        <h2>Gallery</h2>
        {results.length > 1 && (
          <input
            type="search"
            className="gallery-search"
            aria-label="Search the Gallery"
            placeholder="Search prompts or a seed"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
            onKeyDown={(event) => {
              // Typing here is not for the editor's keys; Esc clears the search.
              event.stopPropagation()
              if (event.key === 'Escape') setQuery('')
            }}
          />
        )}
      </header>
      {query.trim() && (
        <p className="muted" role="status">
          {shown.length === 0
            ? `No result matches “${query.trim()}”.`
            : `${shown.length} of ${results.length} ${results.length === 1 ? 'result' : 'results'}`}
        </p>
      )}
      {results.length === 0 ? (
        <p className="muted">
          Every result appears here{folder ? ' and is kept between sessions' : ''}.
        </p>
      ) : (
        <ul className="gallery-grid">
          {shown.map((entry) => {
            const name = resultLabel(entry)
            return (
              <li
                key={entry.id}
                className={entry === selected ? 'gallery-item selected' : 'gallery-item'}
                title={entry.notKept ?? name}
              >
                <ResultThumbnail
                  image={entry.thumbnail}
                  label={`Result: ${name}`}
                  selected={entry === selected}
                  onSelect={() => setSelectedId(entry === selected ? null : entry.id)}
                  onDelete={() => onDelete(entry)}
                />
                {entry.notKept !== null && (
                  <span className="gallery-not-kept" aria-label={entry.notKept}>
                    !
                  </span>
                )}
                <button
                  type="button"
                  className="gallery-delete"
                  aria-label={`Delete result: ${name}`}
                  title="Delete this result (and its file)"
                  onClick={() => onDelete(entry)}
                >
                  ×
                </button>
                <div className="gallery-actions">
                  <button
                    type="button"
                    aria-label={`Put on canvas: ${name}`}
                    title={`Put “${name}” on the canvas as a new layer`}
                    onClick={() => onPlace(entry)}
                  >
                    Place
                  </button>
                  <button
                    type="button"
                    aria-label={`Save as PNG: ${name}`}
                    title="Save this result as a PNG file (its prompt and settings inside)"
                    onClick={() => onSave(entry)}
                  >
                    Save
                  </button>
                </div>
              </li>
            )
          })}
        </ul>
      )}
      {selected && <ResultDetails entry={selected} actions={props} />}
      {folder && hidden > 0 && (
        <p className="muted gallery-more">
          {hidden} older {hidden === 1 ? 'result is' : 'results are'} in {folder}
        </p>
      )}
    </section>
  )
}
