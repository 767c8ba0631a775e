import type { FrameHandle } from '../frame'
import { dragFrame, rectCorners } from '../frame'
import type { Point, Rect } from '../geometry'
import type { Tool, ToolId, ToolPointerEvent } from './Tool'

export interface FrameTarget {
  currentFrame(): Rect
  maxFrameSide(): number
  /** screen pixels per document pixel, for handle hit-testing */
  zoom(): number
  previewFrame(frame: Rect): void
  commitFrame(before: Rect, after: Rect): void
}

const handleRadius = 10
const minFrameSide = 64

/**
 * Moves and resizes the square generation frame.
 * idle → moving (pressed inside) | resizing (pressed on a corner) → idle.
 */
export class FrameTool implements Tool {
  readonly id: ToolId = 'frame'
  state: 'idle' | 'moving' | 'resizing' = 'idle'
  private handle: FrameHandle = 'move'
  private start: Point = { x: 0, y: 0 }
  private startFrame: Rect = { x: 0, y: 0, width: 1, height: 1 }

  constructor(private readonly target: FrameTarget) {}

  pointerDown(event: ToolPointerEvent): void {
    if (event.button !== 0) return
    const handle = hitFrame(
      this.target.currentFrame(),
      event.document,
      handleRadius / this.target.zoom(),
    )
    if (!handle) return
    this.handle = handle
    this.state = handle === 'move' ? 'moving' : 'resizing'
    this.start = event.document
    this.startFrame = this.target.currentFrame()
  }

  pointerMove(event: ToolPointerEvent): void {
    if (this.state === 'idle') return
    this.target.previewFrame(this.framedAt(event.document))
  }

  pointerUp(event: ToolPointerEvent): void {
    if (this.state === 'idle') return
    this.state = 'idle'
    const after = this.framedAt(event.document)
    this.target.commitFrame(this.startFrame, after)
  }

  cancel(): void {
    if (this.state !== 'idle') this.target.previewFrame(this.startFrame)
    this.state = 'idle'
  }

  private framedAt(point: Point): Rect {
    return dragFrame(this.startFrame, this.handle, point.x - this.start.x, point.y - this.start.y, {
      minSide: minFrameSide,
      maxSide: this.target.maxFrameSide(),
    })
  }
}

/** Which part of the frame a point is on: a corner handle, the inside, or nothing. */
export function hitFrame(frame: Rect, point: Point, tolerance: number): FrameHandle | null {
  for (const [handle, x, y] of rectCorners(frame)) {
    if (Math.abs(point.x - x) <= tolerance && Math.abs(point.y - y) <= tolerance) return handle
  }
  const inside =
    point.x >= frame.x &&
    point.y >= frame.y &&
    point.x <= frame.x + frame.width &&
    point.y <= frame.y + frame.height
  return inside ? 'move' : null
}
