import type { Point } from '../geometry'
import type { Tool, ToolId, ToolPointerEvent } from './Tool'

/** What the Move tool needs from the editor: a move lifecycle for the active layer. */
export interface LayerMoveTarget {
  beginLayerMove(): boolean
  previewLayerMove(offset: Point): void
  commitLayerMove(): boolean
  cancelLayerMove(): void
}

/**
 * Drags the active layer's pixels: idle → moving → idle. Shift keeps the move horizontal or
 * vertical, whichever is longer.
 */
export class MoveTool implements Tool {
  readonly id: ToolId = 'move'
  state: 'idle' | 'moving' = 'idle'
  private start: Point = { x: 0, y: 0 }

  constructor(private readonly target: LayerMoveTarget) {}

  pointerDown(event: ToolPointerEvent): void {
    if (event.button !== 0 || this.state !== 'idle') return
    if (!this.target.beginLayerMove()) return
    this.state = 'moving'
    this.start = event.document
  }

  pointerMove(event: ToolPointerEvent): void {
    if (this.state === 'moving') this.target.previewLayerMove(this.offsetAt(event))
  }

  pointerUp(event: ToolPointerEvent): void {
    if (this.state !== 'moving') return
    this.state = 'idle'
    this.target.previewLayerMove(this.offsetAt(event))
    this.target.commitLayerMove()
  }

  cancel(): void {
    if (this.state === 'moving') this.target.cancelLayerMove()
    this.state = 'idle'
  }

  private offsetAt(event: ToolPointerEvent): Point {
    const dx = event.document.x - this.start.x
    const dy = event.document.y - this.start.y
    if (!event.shiftKey) return { x: dx, y: dy }
    return Math.abs(dx) >= Math.abs(dy) ? { x: dx, y: 0 } : { x: 0, y: dy }
  }
}
