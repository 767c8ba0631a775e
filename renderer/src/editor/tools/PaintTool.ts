import type { PaintMode } from '../paintBrush'
import type { Tool, ToolPointerEvent } from './Tool'

/** What the Paint tool needs from the editor: a stroke lifecycle on the active layer. */
export interface PaintStrokeTarget {
  /** false when the active layer cannot be painted (locked, hidden, none) */
  beginPaintStroke(point: { x: number; y: number }, mode: PaintMode): boolean
  continuePaintStroke(point: { x: number; y: number }): void
  endPaintStroke(): void
  cancelPaintStroke(): void
  /** Takes the colour shown at `point` (Ctrl/Cmd+click) */
  pickPaintColour(point: { x: number; y: number }): boolean
}

/**
 * Paint on the active layer (Alt: erase it to transparent; Ctrl/Cmd: pick the colour shown, as in
 * Krita): idle → painting | picking → idle.
 */
export class PaintTool implements Tool {
  readonly id = 'paint'
  state: 'idle' | 'painting' | 'picking' = 'idle'

  constructor(private readonly target: PaintStrokeTarget) {}

  pointerDown(event: ToolPointerEvent): void {
    if (event.button !== 0 || this.state !== 'idle') return
    if (event.modKey) {
      this.state = 'picking'
      this.target.pickPaintColour(event.document)
      return
    }
    if (this.target.beginPaintStroke(event.document, event.altKey ? 'erase' : 'paint'))
      this.state = 'painting'
  }

  pointerMove(event: ToolPointerEvent): void {
    if (this.state === 'painting') this.target.continuePaintStroke(event.document)
    else if (this.state === 'picking') this.target.pickPaintColour(event.document)
  }

  pointerUp(): void {
    const painting = this.state === 'painting'
    this.state = 'idle'
    if (painting) this.target.endPaintStroke()
  }

  cancel(): void {
    if (this.state === 'painting') this.target.cancelPaintStroke()
    this.state = 'idle'
  }
}
