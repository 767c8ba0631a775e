import type { PaintMode } from '../paintBrush'
import type { Tool, ToolPointerEvent } from './Tool'

/** What the Paint tool needs from the editor: a stroke lifecycle on the active layer. */
export interface PaintStrokeTarget {
  /** false when the active layer cannot be painted (locked, hidden, none) */
  beginPaintStroke(point: { x: number; y: number }, mode: PaintMode): boolean
  continuePaintStroke(point: { x: number; y: number }): void
  endPaintStroke(): void
  cancelPaintStroke(): void
}

/** Paint on the active layer (Alt: erase it to transparent): idle → painting → idle. */
export class PaintTool implements Tool {
  readonly id = 'paint'
  state: 'idle' | 'painting' = 'idle'

  constructor(private readonly target: PaintStrokeTarget) {}

  pointerDown(event: ToolPointerEvent): void {
    if (event.button !== 0 || this.state !== 'idle') return
    if (this.target.beginPaintStroke(event.document, event.altKey ? 'erase' : 'paint'))
      this.state = 'painting'
  }

  pointerMove(event: ToolPointerEvent): void {
    if (this.state === 'painting') this.target.continuePaintStroke(event.document)
  }

  pointerUp(): void {
    if (this.state !== 'painting') return
    this.state = 'idle'
    this.target.endPaintStroke()
  }

  cancel(): void {
    if (this.state === 'painting') this.target.cancelPaintStroke()
    this.state = 'idle'
  }
}
