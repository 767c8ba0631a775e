import type { MaskPaintMode } from '../maskBrush'
import type { Tool, ToolId, ToolPointerEvent } from './Tool'

/** What the brush tools need from the editor: a stroke lifecycle on the mask. */
export interface MaskStrokeTarget {
  beginMaskStroke(point: { x: number; y: number }, mode: MaskPaintMode): void
  continueMaskStroke(point: { x: number; y: number }): void
  endMaskStroke(): void
  cancelMaskStroke(): void
}

/** Brush (paints the mask) and eraser (erases it): idle → drawing → idle. */
export class MaskBrushTool implements Tool {
  state: 'idle' | 'drawing' = 'idle'

  constructor(
    readonly id: Extract<ToolId, 'brush' | 'eraser'>,
    private readonly target: MaskStrokeTarget,
  ) {}

  private get mode(): MaskPaintMode {
    return this.id === 'brush' ? 'paint' : 'erase'
  }

  pointerDown(event: ToolPointerEvent): void {
    if (event.button !== 0 || this.state !== 'idle') return
    this.state = 'drawing'
    this.target.beginMaskStroke(event.document, event.altKey ? invert(this.mode) : this.mode)
  }

  pointerMove(event: ToolPointerEvent): void {
    if (this.state === 'drawing') this.target.continueMaskStroke(event.document)
  }

  pointerUp(): void {
    if (this.state !== 'drawing') return
    this.state = 'idle'
    this.target.endMaskStroke()
  }

  cancel(): void {
    if (this.state === 'drawing') this.target.cancelMaskStroke()
    this.state = 'idle'
  }
}

function invert(mode: MaskPaintMode): MaskPaintMode {
  return mode === 'paint' ? 'erase' : 'paint'
}
