import { shownContentBounds } from '../compositing'
import { autoFitFrame } from '../frame'
import { sameRect, type Point, type Rect } from '../geometry'
import type { HistoryEntry, TileEdit } from '../History'
import { TileEditRecorder, applyTiles, tileEditBytes } from '../History'
import type { BrushSettings, MaskPaintMode } from '../maskBrush'
import { dabCentresAlong, fillMaskRect, invertMask, stampDab } from '../maskBrush'
import type { EditSession } from './EditSession'

/**
 * Undoable mask edits (brush strokes, rectangles, invert, clear) and the generation frame, which
 * follows the mask until the user places it by hand. Also whether the mask overlay is shown.
 */
export class MaskOperations {
  brush: BrushSettings = { size: 64, hardness: 0.8 }
  /** While true, mask edits re-fit the frame around the mask; moving the frame by hand stops it. */
  frameFollowsMask = true
  rectPreview: Rect | null = null
  /** Whether views draw the mask overlay; hiding it changes nothing in the document. */
  maskOverlayVisible = true
  private stroke: {
    recorder: TileEditRecorder
    last: Point
    mode: MaskPaintMode
    frame: Rect
  } | null = null

  constructor(private readonly session: EditSession) {}

  private get document() {
    return this.session.document
  }

  private maskEntry(
    label: string,
    edit: TileEdit,
    frameBefore: Rect,
    frameAfter: Rect,
  ): HistoryEntry {
    const cache = this.session.renderCache
    return this.session.entry(
      label,
      () => {
        cache.invalidateMask(applyTiles(edit.raster, edit.after))
        this.setFrameSilently(frameAfter)
      },
      () => {
        cache.invalidateMask(applyTiles(edit.raster, edit.before))
        this.setFrameSilently(frameBefore)
      },
      tileEditBytes(edit),
    )
  }

  /** Records an edit already made to the mask, re-fitting the frame if it follows the mask. */
  private recordMaskEdit(label: string, edit: TileEdit, frameBefore: Rect): void {
    const frameAfter = this.fittedFrame() ?? frameBefore
    this.setFrameSilently(frameAfter)
    this.session.revision += 1
    this.session.record(this.maskEntry(label, edit, frameBefore, frameAfter), true)
  }

  beginMaskStroke(point: Point, mode: MaskPaintMode): void {
    this.cancelMaskStroke()
    const recorder = new TileEditRecorder(this.document.mask)
    this.stroke = { recorder, last: point, mode, frame: this.document.frame }
    this.session.renderCache.invalidateMask(
      stampDab(this.document.mask, recorder, point, this.brush, mode),
    )
  }

  continueMaskStroke(point: Point): void {
    const stroke = this.stroke
    if (!stroke) return
    const touched = new Set<number>()
    for (const centre of dabCentresAlong(stroke.last, point, this.brush.size)) {
      const mask = this.document.mask
      for (const key of stampDab(mask, stroke.recorder, centre, this.brush, stroke.mode))
        touched.add(key)
    }
    stroke.last = point
    this.session.renderCache.invalidateMask(touched)
  }

  endMaskStroke(): void {
    const stroke = this.stroke
    if (!stroke) return
    this.stroke = null
    const label = stroke.mode === 'paint' ? 'Brush' : 'Eraser'
    this.recordMaskEdit(label, stroke.recorder.finish(), stroke.frame)
  }

  cancelMaskStroke(): void {
    const stroke = this.stroke
    if (!stroke) return
    this.stroke = null
    this.session.renderCache.invalidateMask(
      applyTiles(this.document.mask, stroke.recorder.finish().before),
    )
  }

  get isStroking(): boolean {
    return this.stroke !== null
  }

  fillMaskRect(rect: Rect, mode: MaskPaintMode = 'paint'): void {
    const recorder = new TileEditRecorder(this.document.mask)
    const frameBefore = this.document.frame
    this.session.renderCache.invalidateMask(fillMaskRect(this.document.mask, recorder, rect, mode))
    this.recordMaskEdit('Rectangle mask', recorder.finish(), frameBefore)
  }

  setRectPreview(rect: Rect | null): void {
    this.rectPreview = rect
    this.session.changed('tool')
  }

  invertMask(): void {
    const frameBefore = this.document.frame
    const invert = (): void => {
      invertMask(this.document.mask)
      this.session.renderCache.invalidateMask()
    }
    invert()
    const frameAfter = this.fittedFrame() ?? frameBefore
    this.setFrameSilently(frameAfter)
    this.session.revision += 1
    this.session.record(
      this.session.entry(
        'Invert mask',
        () => {
          invert()
          this.setFrameSilently(frameAfter)
        },
        () => {
          invert()
          this.setFrameSilently(frameBefore)
        },
      ),
      true,
    )
  }

  clearMask(): void {
    const mask = this.document.mask
    const keys = mask.allocatedTileKeys()
    if (keys.length === 0) return
    const recorder = new TileEditRecorder(mask)
    recorder.touch(keys)
    mask.clear()
    this.session.renderCache.invalidateMask()
    this.session.revision += 1
    const frame = this.document.frame
    this.session.record(this.maskEntry('Clear mask', recorder.finish(), frame, frame), true)
  }

  /** Bounds of the painted mask, or null when nothing is painted. */
  maskBounds(): Rect | null {
    return this.document.mask.contentBounds()
  }

  setMaskOverlayVisible(visible: boolean): void {
    if (this.maskOverlayVisible === visible) return
    this.maskOverlayVisible = visible
    this.session.changed('display')
  }

  // ── generation frame ───────────────────────────────────────────────────────

  private fittedFrame(): Rect | null {
    if (!this.frameFollowsMask) return null
    const bounds = this.maskBounds()
    return bounds ? this.frameAround(bounds) : null
  }

  /** The auto-fit frame around `maskBounds`, kept to the shown picture joined with the mask. */
  private frameAround(maskBounds: Rect): Rect {
    const layers = this.document.layers
    return autoFitFrame(maskBounds, this.document, {
      pictureBoundsIn: (window) => shownContentBounds(layers, window),
    })
  }

  setFrameSilently(frame: Rect): void {
    this.document.frame = frame
    this.session.changed('frame')
  }

  /** Re-fits the frame around the mask (and makes it follow the mask again). */
  fitFrameToMask(): void {
    const bounds = this.maskBounds()
    if (!bounds) return
    this.frameFollowsMask = true
    this.setFrame(this.frameAround(bounds), 'Fit frame')
  }

  setFrame(frame: Rect, label = 'Move frame'): void {
    const before = this.document.frame
    if (sameRect(before, frame)) return
    this.session.apply(
      label,
      () => this.setFrameSilently(frame),
      () => this.setFrameSilently(before),
    )
  }

  /** A frame drag ended: the frame stops following the mask and the move is one step. */
  commitFrameDrag(before: Rect, after: Rect): void {
    this.setFrameSilently(before)
    this.frameFollowsMask = false
    this.setFrame(after, 'Move frame')
  }
}
