import type { CanvasState, Layer } from '../EditorDocument'
import { maxDocumentSide } from '../EditorDocument'
import type { Point, Rect } from '../geometry'
import type { EditSession } from './EditSession'

/** Where the old picture sits in a resized canvas, like a 3×3 anchor grid. */
export type CanvasAnchor =
  | 'top-left'
  | 'top'
  | 'top-right'
  | 'left'
  | 'centre'
  | 'right'
  | 'bottom-left'
  | 'bottom'
  | 'bottom-right'

export const canvasAnchors: readonly CanvasAnchor[] = [
  'top-left',
  'top',
  'top-right',
  'left',
  'centre',
  'right',
  'bottom-left',
  'bottom',
  'bottom-right',
]

/** A side of the canvas to add room on (Extend). */
export type CanvasSide = 'left' | 'right' | 'up' | 'down'
export const canvasSides: readonly CanvasSide[] = ['left', 'right', 'up', 'down']

/** How much room Extend adds: half the frame across that side. */
function extendRoom(frame: Rect, side: CanvasSide): number {
  return Math.ceil((side === 'left' || side === 'right' ? frame.width : frame.height) / 2)
}

/** Where the old canvas's top-left corner lands on a `width`×`height` canvas at `anchor`. */
export function anchorOffset(
  from: { width: number; height: number },
  to: { width: number; height: number },
  anchor: CanvasAnchor,
): Point {
  const column = anchor.endsWith('left') ? 0 : anchor.endsWith('right') ? 2 : 1
  const row = anchor.startsWith('top') ? 0 : anchor.startsWith('bottom') ? 2 : 1
  return {
    x: Math.round(((to.width - from.width) * column) / 2),
    y: Math.round(((to.height - from.height) * row) / 2),
  }
}

/**
 * Canvas size and crop. Enlarging adds transparent space around the picture (room to outpaint:
 * put the frame over it and Generate); shrinking or cropping cuts the layers and the mask. Layers,
 * mask and frame move together, so the frame stays over the same pixels. One undoable step that
 * keeps the layers as they were.
 */
export class CanvasOperations {
  constructor(
    private readonly session: EditSession,
    /** Moves what is drawn in document coordinates outside the document (staged results). */
    private readonly shiftOverlays: (dx: number, dy: number) => void,
  ) {}

  /**
   * Resizes the canvas to `width`×`height` with the old picture's top-left corner at `offset`
   * (may be negative: that part is cut off).
   */
  resizeCanvas(
    width: number,
    height: number,
    offset: Point,
    label = 'Canvas size',
    /** Where the frame goes instead of moving with the picture. */
    frameAfter?: Rect,
  ): boolean {
    const document = this.session.document
    if (!Number.isInteger(width) || !Number.isInteger(height))
      throw new RangeError('The canvas size must be whole pixels.')
    if (width < 1 || height < 1 || width > maxDocumentSide || height > maxDocumentSide)
      throw new RangeError(`Canvas sides must be between 1 and ${maxDocumentSide} pixels.`)
    const dx = Math.round(offset.x)
    const dy = Math.round(offset.y)
    if (width === document.width && height === document.height && dx === 0 && dy === 0) return false
    const before = document.canvasState
    const layers = before.layers.map((layer): Layer => ({
      ...layer,
      raster: layer.raster.translated(width, height, dx, dy),
    }))
    const frame: Rect = frameAfter
      ? { ...frameAfter }
      : { ...before.frame, x: before.frame.x + dx, y: before.frame.y + dy }
    const after: CanvasState = {
      width,
      height,
      layers,
      mask: before.mask.translated(width, height, dx, dy),
      frame,
    }
    const activeIndex = before.layers.findIndex((layer) => layer.id === this.session.activeLayerId)
    const show = (state: CanvasState, shift: number): void => {
      document.setCanvasState(state)
      const origin = this.session.canvasOrigin
      this.session.canvasOrigin = { x: origin.x + shift * dx, y: origin.y + shift * dy }
      this.shiftOverlays(shift * dx, shift * dy)
      const active = state.layers[activeIndex]
      this.session.activeLayerId = active?.id ?? state.layers.at(-1)?.id ?? null
      this.session.renderCache.invalidateLayerTiles(null)
      this.session.renderCache.invalidateMask()
      this.session.changed('canvas', 'layers', 'frame')
    }
    this.session.apply(
      label,
      () => show(after, 1),
      () => show(before, -1),
    )
    return true
  }

  /** Canvas size keeping the picture at `anchor` (default: centred). */
  resizeCanvasAnchored(width: number, height: number, anchor: CanvasAnchor = 'centre'): boolean {
    const document = this.session.document
    return this.resizeCanvas(width, height, anchorOffset(document, { width, height }, anchor))
  }

  /** Whether {@link extendCanvas} fits within the largest canvas. */
  canExtend(side: CanvasSide): boolean {
    const { width, height, frame } = this.session.document
    const sideways = side === 'left' || side === 'right'
    return (sideways ? width : height) + extendRoom(frame, side) <= maxDocumentSide
  }

  /**
   * Outpainting in one step: room on one side, half the frame's size (transparent), with the
   * frame moved over it and the picture's edge, so half of what the models see is picture to
   * continue. The frame keeps its size and its place along that side. False where the canvas
   * would pass the largest size.
   */
  extendCanvas(side: CanvasSide): boolean {
    if (!this.canExtend(side)) return false
    const document = this.session.document
    const frame = document.frame
    const sideways = side === 'left' || side === 'right'
    const room = extendRoom(frame, side)
    const width = document.width + (sideways ? room : 0)
    const height = document.height + (sideways ? 0 : room)
    const offset = { x: side === 'left' ? room : 0, y: side === 'up' ? room : 0 }
    // Against the new edge; along it the frame stays over the same pixels. Kept inside the canvas
    // where it fits.
    const inside = (start: number, size: number, extent: number) =>
      Math.max(0, Math.min(start, extent - size))
    const frameAfter: Rect = {
      ...frame,
      x: side === 'left' ? 0 : inside(side === 'right' ? width : frame.x, frame.width, width),
      y: side === 'up' ? 0 : inside(side === 'down' ? height : frame.y, frame.height, height),
    }
    return this.resizeCanvas(width, height, offset, `Extend ${side}`, frameAfter)
  }

  /** Crops the canvas to `rect` (clipped to the canvas). */
  cropTo(rect: Rect, label = 'Crop'): boolean {
    const document = this.session.document
    const x0 = Math.max(0, Math.round(rect.x))
    const y0 = Math.max(0, Math.round(rect.y))
    const x1 = Math.min(document.width, Math.round(rect.x + rect.width))
    const y1 = Math.min(document.height, Math.round(rect.y + rect.height))
    if (x1 <= x0 || y1 <= y0) return false
    return this.resizeCanvas(x1 - x0, y1 - y0, { x: -x0, y: -y0 }, label)
  }

  /** Crops the canvas to the generation frame (where it overlaps the canvas). */
  cropToFrame(): boolean {
    return this.cropTo(this.session.document.frame, 'Crop to frame')
  }
}
