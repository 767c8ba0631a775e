import { useEffect, useRef } from 'react'
import type { JobImage } from '../../../../contract/jobs'
import { jobLabel } from '../prompt/QueueList'
import type { JobView } from '../useGlideState'

/** A file name for a saved result: the prompt's words, the seed and the variation. */
export function resultFileName(job: JobView, imageIndex: number): string {
  const words = job.summary.settings.prompt
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40)
  return `${words || 'glide'}-${job.summary.settings.seed}-${imageIndex + 1}.png`
}

/** Encodes the result as PNG in the page and hands it to the browser as a download. */
function download(image: JobImage, fileName: string): void {
  const canvas = document.createElement('canvas')
  canvas.width = image.width
  canvas.height = image.height
  const pixels = new Uint8ClampedArray(image.width * image.height * 4)
  pixels.set(image.rgba.subarray(0, pixels.length))
  canvas.getContext('2d')?.putImageData(new ImageData(pixels, image.width, image.height), 0, 0)
  canvas.toBlob((blob) => {
    if (!blob) return
    const url = URL.createObjectURL(blob)
    const link = document.createElement('a')
    link.href = url
    link.download = fileName
    link.click()
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
  }, 'image/png')
}

/** One result drawn at its own size; CSS scales the thumbnail. */
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
  /** Every job of the session; the finished ones' images are shown, newest first. */
  jobs: readonly JobView[]
  onPlace(job: JobView, imageIndex: number): void
}

/** The session's results; any of them can be put on the canvas as a new layer. */
export function Gallery({ jobs, onPlace }: GalleryProps) {
  const finished = jobs.filter((job) => (job.summary.result?.images.length ?? 0) > 0).reverse()
  return (
    <section className="gallery" aria-label="Gallery">
      <h2>Gallery</h2>
      {finished.length === 0 ? (
        <p className="muted">Every result of this session appears here.</p>
      ) : (
        <ul className="gallery-grid">
          {finished.flatMap((job) => {
            const images = job.summary.result?.images ?? []
            return images.map((image, index) => {
              const name =
                images.length > 1
                  ? `${jobLabel(job)}, ${index + 1} of ${images.length}`
                  : jobLabel(job)
              return (
                <li key={`${job.summary.id}-${index}`} className="gallery-item">
                  <ResultThumbnail image={image} label={`Result: ${name}`} />
                  <div className="gallery-actions">
                    <button
                      type="button"
                      aria-label={`Put on canvas: ${name}`}
                      title={`Put “${name}” on the canvas as a new layer`}
                      onClick={() => onPlace(job, index)}
                    >
                      Place
                    </button>
                    <button
                      type="button"
                      aria-label={`Save as PNG: ${name}`}
                      title="Save this result as a PNG file"
                      onClick={() => download(image, resultFileName(job, index))}
                    >
                      Save
                    </button>
                  </div>
                </li>
              )
            })
          })}
        </ul>
      )}
    </section>
  )
}
