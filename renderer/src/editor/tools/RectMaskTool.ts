import type { Point, Rect } from '../geometry'
import { rectFromCorners } from '../geometry'
import type { MaskPaintMode } from '../maskBrush'
import type { Tool, ToolId, ToolPointerEvent } from './Tool'

export interface RectMaskTarget {
  fillMaskRect(rect: Rect, mode: MaskPaintMode): void
  setRectPreview(rect: Rect | null): void
}

/** idle → dragging → idle; on release fills the rectangle (Alt: erases it). */
export class RectMaskTool implements Tool {
  readonly id: ToolId = 'rect-mask'
  state: 'idle' | 'dragging' = 'idle'
  private start: Point = { x: 0, y: 0 }
  private mode: MaskPaintMode = 'paint'

  constructor(private readonly target: RectMaskTarget) {}

  pointerDown(event: ToolPointerEvent): void {
    if (event.button !== 0) return
    this.state = 'dragging'
    this.start = roundPoint(event.document)
    this.mode = event.altKey ? 'erase' : 'paint'
    this.target.setRectPreview(null)
  }

  pointerMove(event: ToolPointerEvent): void {
    if (this.state !== 'dragging') return
    this.target.setRectPreview(rectFromCorners(this.start, roundPoint(event.document)))
  }

  pointerUp(event: ToolPointerEvent): void {
    if (this.state !== 'dragging') return
    this.state = 'idle'
    this.target.setRectPreview(null)
    const rect = rectFromCorners(this.start, roundPoint(event.document))
    if (rect.width > 0 && rect.height > 0) this.target.fillMaskRect(rect, this.mode)
  }

  cancel(): void {
    this.state = 'idle'
    this.target.setRectPreview(null)
  }
}

function roundPoint(point: Point): Point {
  return { x: Math.round(point.x), y: Math.round(point.y) }
}
