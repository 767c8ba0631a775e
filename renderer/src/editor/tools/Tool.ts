import type { Point } from '../geometry'

export type ToolId = 'pan' | 'brush' | 'eraser' | 'rect-mask' | 'frame' | 'paint' | 'move'

/** A pointer event as tools see it: both screen (canvas element) and document coordinates. */
export interface ToolPointerEvent {
  readonly screen: Point
  readonly document: Point
  /** 0 primary, 1 middle, 2 secondary */
  readonly button: number
  readonly shiftKey: boolean
  readonly altKey: boolean
  /** Ctrl (Cmd on macOS) */
  readonly modKey: boolean
}

/**
 * A tool is a small state machine: `state` is one of its named states (`idle`, `drawing`, …); each
 * handler may move it to another. `cancel` always returns to `idle` and reverts the interaction.
 */
export interface Tool {
  readonly id: ToolId
  readonly state: string
  pointerDown(event: ToolPointerEvent): void
  pointerMove(event: ToolPointerEvent): void
  pointerUp(event: ToolPointerEvent): void
  cancel(): void
  /** The CSS cursor over `point` (document pixels) where it says what a press does there. */
  cursorAt?(point: Point): string | null
}
