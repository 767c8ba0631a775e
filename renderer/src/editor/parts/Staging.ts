import { generationDefaults } from '../../../../contract/generation'
import type { Layer, RgbaImage } from '../EditorDocument'
import type { GenerationRequest } from '../generation'
import {
  generatedLayerName,
  generationInfo,
  resultColourMismatch,
  resultLayerPixels,
} from '../generation'
import type { Point, Rect } from '../geometry'
import type { HistoryEntry } from '../History'
import { TiledRaster } from '../TiledRaster'
import type { EditSession } from './EditSession'

/** One candidate of a staged batch: the pixels of a would-be layer over the request's frame. */
export interface StagedCandidate {
  readonly rect: Rect
  readonly pixels: Uint8ClampedArray
  readonly batchIndex: number
  /** Levels off from the picture at the mask's edge, without Colour match (0 with it). */
  readonly colourMismatch: number
}

export interface StagedBatch {
  readonly request: GenerationRequest
  /** The job's images as the models made them, to place again (Match colours). */
  readonly images: readonly RgbaImage[]
  readonly candidates: readonly StagedCandidate[]
  /** The models the job ran, as it reported them; kept with each accepted layer. */
  readonly modelIds: readonly string[]
  index: number
}

/**
 * Finished generations waiting in place on the canvas: browse the candidates, accept one (or all:
 * the shown one visible, the others hidden) or discard them. Accept, accept all and discard are
 * history entries, so undoing an accept removes the layer and shows the batch again.
 */
export class Staging {
  readonly batches: StagedBatch[] = []
  /** The result on view is hidden to compare with the picture under it (until the next change). */
  originalShown = false

  constructor(
    private readonly session: EditSession,
    /** How far the picture moved (canvas size, crop) since a request was captured. */
    private readonly shiftSince: (requestId: string) => Point,
  ) {}

  /**
   * Shows a finished batch in place (queued behind any batch already staged), over the pixels
   * its frame covered when the job was queued, even if the canvas was resized since.
   */
  stageResults(
    request: GenerationRequest,
    images: readonly RgbaImage[],
    modelIds: readonly string[] = [],
  ): void {
    if (request.documentId !== this.session.document.id || images.length === 0) return
    const shift = this.shiftSince(request.id)
    const rect = { ...request.frame, x: request.frame.x + shift.x, y: request.frame.y + shift.y }
    this.batches.push({
      request,
      images,
      candidates: placed(request, images, rect),
      modelIds,
      index: 0,
    })
    this.session.changed('staging')
  }

  /**
   * The shown batch placed again with Colour match: each fill shifted to the colour around the
   * mask, as if the job had been queued with it. No new generation; false when nothing is staged
   * or it was matched already.
   */
  matchColours(): boolean {
    const batch = this.batches[0]
    const region = batch?.request.settings.region ?? generationDefaults.region
    if (!batch || region.colourMatch) return false
    const request: GenerationRequest = {
      ...batch.request,
      settings: { ...batch.request.settings, region: { ...region, colourMatch: true } },
    }
    const rect = batch.candidates[0]?.rect ?? batch.request.frame
    this.batches[0] = { ...batch, request, candidates: placed(request, batch.images, rect) }
    this.originalShown = false
    this.session.changed('staging')
    return true
  }

  /** Hides the result on view, or shows it again; false when nothing is staged. */
  toggleOriginal(): boolean {
    if (!this.batches[0]) return false
    this.originalShown = !this.originalShown
    this.session.changed('staging')
    return true
  }

  /** The canvas moved by (dx, dy): staged results move with the picture. */
  shift(dx: number, dy: number): void {
    if (dx === 0 && dy === 0) return
    for (const batch of this.batches) {
      const candidates = batch.candidates as StagedCandidate[]
      candidates.forEach((candidate, index) => {
        const { rect } = candidate
        candidates[index] = { ...candidate, rect: { ...rect, x: rect.x + dx, y: rect.y + dy } }
      })
    }
    this.session.changed('staging')
  }

  get current(): StagedBatch | undefined {
    return this.batches[0]
  }

  get currentCandidate(): StagedCandidate | undefined {
    const batch = this.batches[0]
    return batch?.candidates[batch.index]
  }

  /**
   * The candidate on view as the layer it would become: its name and pixels, trimmed to what it
   * holds (an inpaint's fill is transparent outside the mask). Null when it holds nothing.
   */
  get currentImage(): { image: RgbaImage; name: string } | null {
    const batch = this.batches[0]
    const candidate = batch?.candidates[batch.index]
    if (!batch || !candidate) return null
    const { width, height } = candidate.rect
    const raster = new TiledRaster(width, height, 4)
    raster.writeRect({ x: 0, y: 0, width, height }, candidate.pixels)
    const bounds = raster.contentBounds()
    if (!bounds) return null
    return {
      image: { width: bounds.width, height: bounds.height, data: raster.readRect(bounds) },
      name: generatedLayerName(batch.request.settings, candidate.batchIndex),
    }
  }

  browse(step: number): boolean {
    const batch = this.batches[0]
    if (!batch) return false
    const count = batch.candidates.length
    return this.show((((batch.index + step) % count) + count) % count)
  }

  /** Puts candidate `index` of the shown batch on view; false when there is no such candidate. */
  show(index: number): boolean {
    const batch = this.batches[0]
    if (!batch || !Number.isInteger(index) || index < 0 || index >= batch.candidates.length) {
      return false
    }
    batch.index = index
    this.originalShown = false
    this.session.changed('staging')
    return true
  }

  private candidateLayer(batch: StagedBatch, candidate: StagedCandidate, visible: boolean): Layer {
    const layer = this.session.document.createLayer(
      generatedLayerName(batch.request.settings, candidate.batchIndex),
    )
    layer.visible = visible
    layer.generation = generationInfo(batch.request, candidate.batchIndex, batch.modelIds)
    layer.raster.writeRect(candidate.rect, candidate.pixels)
    return layer
  }

  private entry(label: string, batch: StagedBatch, layers: Layer[]): HistoryEntry {
    const session = this.session
    const previousActive = session.activeLayerId
    const index = batch.index
    const at = session.document.layers.length
    const redo = () => {
      const position = this.batches.indexOf(batch)
      if (position >= 0) this.batches.splice(position, 1)
      layers.forEach((layer, offset) => session.insertLayer(layer, at + offset))
      this.originalShown = false
      session.changed('staging', 'accepted')
    }
    const undo = () => {
      for (const layer of layers) session.removeLayer(layer.id)
      batch.index = index
      this.batches.unshift(batch)
      this.originalShown = false
      session.activeLayerId = previousActive
      session.changed('staging')
    }
    // A discard is undoable but changes nothing that is saved: the document stays as saved.
    return layers.length === 0 ? { label, redo, undo } : session.entry(label, redo, undo)
  }

  /** Enter: the shown candidate becomes a new layer on top. */
  accept(): boolean {
    const batch = this.batches[0]
    const candidate = batch?.candidates[batch.index]
    if (!batch || !candidate || this.session.layerRoom < 1) return false
    const layer = this.candidateLayer(batch, candidate, true)
    this.session.record(this.entry('Accept', batch, [layer]), false)
    return true
  }

  /**
   * Every candidate becomes a layer, to compare by toggling them: the shown one stays in view, on
   * top and active; the others go under it hidden.
   */
  acceptAll(): boolean {
    const batch = this.batches[0]
    if (!batch || this.session.layerRoom < batch.candidates.length) return false
    const shown = batch.candidates[batch.index]
    const layers = [
      ...batch.candidates
        .filter((candidate) => candidate !== shown)
        .map((candidate) => this.candidateLayer(batch, candidate, false)),
      ...(shown ? [this.candidateLayer(batch, shown, true)] : []),
    ]
    this.session.record(this.entry('Accept all', batch, layers), false)
    return true
  }

  /** Esc: drops the staged batch (undo brings it back). */
  discard(): boolean {
    const batch = this.batches[0]
    if (!batch) return false
    this.session.record(this.entry('Discard', batch, []), false)
    return true
  }
}

/** A job's images as would-be layers over `rect`, with how far each is off at the mask's edge. */
function placed(
  request: GenerationRequest,
  images: readonly RgbaImage[],
  rect: Rect,
): StagedCandidate[] {
  return images.map((image, batchIndex) => {
    const pixels = resultLayerPixels(image, request)
    return { rect, pixels, batchIndex, colourMismatch: resultColourMismatch(pixels, request) }
  })
}
