import type { Point } from '../geometry'
import type { Viewport } from '../Viewport'
import type { Tool, ToolId, ToolPointerEvent } from './Tool'

/** idle → panning (any button) → idle. Also used for space-drag and middle-button drags. */
export class PanTool implements Tool {
  readonly id: ToolId = 'pan'
  state: 'idle' | 'panning' = 'idle'
  private last: Point = { x: 0, y: 0 }

  constructor(
    private readonly viewport: Viewport,
    private readonly changed: () => void,
  ) {}

  pointerDown(event: ToolPointerEvent): void {
    this.state = 'panning'
    this.last = event.screen
  }

  pointerMove(event: ToolPointerEvent): void {
    if (this.state !== 'panning') return
    this.viewport.panBy(event.screen.x - this.last.x, event.screen.y - this.last.y)
    this.last = event.screen
    this.changed()
  }

  pointerUp(): void {
    this.state = 'idle'
  }

  cancel(): void {
    this.state = 'idle'
  }
}
