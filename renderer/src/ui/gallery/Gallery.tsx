import { useEffect, useRef } from 'react'
import type { JobImage } from '../../../../contract/jobs'
import type { ResultEntry } from '../../../../contract/results'

/** "a red boat (4242)", and ", 2 of 4" for one of a batch. */
export function resultLabel(entry: ResultEntry): string {
  const { prompt, seed } = entry.settings
  const label = `${prompt.trim() || 'Untitled'} (${seed})`
  return entry.count > 1 ? `${label}, ${entry.index + 1} of ${entry.count}` : label
}

/** A file name for a saved result: the prompt's words, the seed and the variation. */
export function resultFileName(entry: ResultEntry): string {
  const words = entry.settings.prompt
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40)
  return `${words || 'glide'}-${entry.settings.seed}-${entry.index + 1}.png`
}

/** Hands bytes to the browser as a download of that name. */
export function downloadBytes(bytes: Uint8Array<ArrayBuffer>, fileName: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'image/png' }))
  const link = document.createElement('a')
  link.href = url
  link.download = fileName
  link.click()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** One thumbnail drawn at its own size; CSS scales it. */
function ResultThumbnail({ image, label }: { image: JobImage; label: string }) {
  const canvasRef = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    const canvas = canvasRef.current
    if (!canvas) return
    canvas.width = image.width
    canvas.height = image.height
    const pixels = new Uint8ClampedArray(image.width * image.height * 4)
    pixels.set(image.rgba.subarray(0, pixels.length))
    canvas.getContext('2d')?.putImageData(new ImageData(pixels, image.width, image.height), 0, 0)
  }, [image])
  return <canvas ref={canvasRef} className="gallery-image" role="img" aria-label={label} />
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
  onDelete(entry: ResultEntry): void
}

/** Every result the app has made, kept between sessions; any can go on the canvas as a layer. */
export function Gallery({ results, total, folder, onPlace, onSave, onDelete }: GalleryProps) {
  const hidden = total - results.filter((entry) => entry.notKept === null).length
  return (
    <section className="gallery" aria-label="Gallery">
      <h2>Gallery</h2>
      {results.length === 0 ? (
        <p className="muted">
          Every result appears here{folder ? ' and is kept between sessions' : ''}.
        </p>
      ) : (
        <ul className="gallery-grid">
          {results.map((entry) => {
            const name = resultLabel(entry)
            return (
              <li
                key={entry.id}
                className="gallery-item"
                title={entry.notKept ?? `${name}\n${folder ?? ''}`}
              >
                <ResultThumbnail image={entry.thumbnail} label={`Result: ${name}`} />
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
      {folder && hidden > 0 && (
        <p className="muted gallery-more">
          {hidden} older {hidden === 1 ? 'result is' : 'results are'} in {folder}
        </p>
      )}
    </section>
  )
}
