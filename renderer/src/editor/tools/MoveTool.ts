import { rectCorners, type Corner } from '../frame'
import type { Point, Rect } from '../geometry'
import type { Tool, ToolId, ToolPointerEvent } from './Tool'

/** What the Move tool needs from the editor: move and scale lifecycles for the active layer. */
export interface LayerMoveTarget {
  beginLayerMove(): boolean
  previewLayerMove(offset: Point): void
  commitLayerMove(): boolean
  /** Puts the layer back where a move or scale started. */
  cancelLayerMove(): void
  /** Where the scale handles are: the active layer's content; null when it cannot be moved. */
  transformBox(): Rect | null
  /** screen pixels per document pixel, for handle hit-testing */
  zoom(): number
  /** The largest side a layer may be scaled to (its pixels beyond the canvas are cut anyway). */
  maxScaledSide(): number
  beginLayerScale(): boolean
  previewLayerScale(box: Rect): void
  commitLayerScale(): boolean
}

/** Screen pixels around a corner that grab its handle. */
const handleRadius = 10

/**
 * Drags the active layer's pixels: idle → moving | scaling → idle. Pressed on a corner of the
 * layer's box it scales, keeping the proportions (Shift: free) about the opposite corner;
 * anywhere else it moves, Shift keeping the move horizontal or vertical.
 */
export class MoveTool implements Tool {
  readonly id: ToolId = 'move'
  state: 'idle' | 'moving' | 'scaling' = 'idle'
  private start: Point = { x: 0, y: 0 }
  private startBox: Rect = { x: 0, y: 0, width: 1, height: 1 }
  private corner: Corner = 'se'

  constructor(private readonly target: LayerMoveTarget) {}

  pointerDown(event: ToolPointerEvent): void {
    if (event.button !== 0 || this.state !== 'idle') return
    const box = this.target.transformBox()
    const handle = box && cornerAt(box, event.document, handleRadius / this.target.zoom())
    if (box && handle) {
      if (!this.target.beginLayerScale()) return
      this.state = 'scaling'
      this.corner = handle
      this.startBox = box
    } else {
      if (!this.target.beginLayerMove()) return
      this.state = 'moving'
    }
    this.start = event.document
  }

  pointerMove(event: ToolPointerEvent): void {
    if (this.state === 'moving') this.target.previewLayerMove(this.offsetAt(event))
    else if (this.state === 'scaling') this.target.previewLayerScale(this.boxAt(event))
  }

  pointerUp(event: ToolPointerEvent): void {
    if (this.state === 'moving') {
      this.target.previewLayerMove(this.offsetAt(event))
      this.target.commitLayerMove()
    } else if (this.state === 'scaling') {
      this.target.previewLayerScale(this.boxAt(event))
      this.target.commitLayerScale()
    }
    this.state = 'idle'
  }

  cancel(): void {
    if (this.state !== 'idle') this.target.cancelLayerMove()
    this.state = 'idle'
  }

  /** Over a corner handle, the resize cursor of its diagonal (kept while scaling). */
  cursorAt(point: Point): string | null {
    const box = this.state === 'idle' ? this.target.transformBox() : null
    const corner =
      this.state === 'scaling'
        ? this.corner
        : box && cornerAt(box, point, handleRadius / this.target.zoom())
    if (!corner) return null
    return corner === 'nw' || corner === 'se' ? 'nwse-resize' : 'nesw-resize'
  }

  private offsetAt(event: ToolPointerEvent): Point {
    const dx = event.document.x - this.start.x
    const dy = event.document.y - this.start.y
    if (!event.shiftKey) return { x: dx, y: dy }
    return Math.abs(dx) >= Math.abs(dy) ? { x: dx, y: 0 } : { x: 0, y: dy }
  }

  private boxAt(event: ToolPointerEvent): Rect {
    return scaledBox(
      this.startBox,
      this.corner,
      { x: event.document.x - this.start.x, y: event.document.y - this.start.y },
      { keepProportions: !event.shiftKey, maxSide: this.target.maxScaledSide() },
    )
  }
}

/**
 * The corner of `box` whose handle is at `point` (within `radius` outside the box); inside the box
 * the reach shrinks to a quarter of its sides, so a small layer moves wherever it is pressed.
 */
export function cornerAt(box: Rect, point: Point, radius: number): Corner | null {
  const inside =
    point.x > box.x &&
    point.y > box.y &&
    point.x < box.x + box.width &&
    point.y < box.y + box.height
  const reach = inside ? Math.min(radius / 2, box.width / 4, box.height / 4) : radius
  for (const [corner, x, y] of rectCorners(box)) {
    if (Math.abs(point.x - x) <= reach && Math.abs(point.y - y) <= reach) return corner
  }
  return null
}

/**
 * `box` with `corner` dragged by `drag` and the opposite corner fixed. Keeping proportions, the
 * axis changed more (as a ratio of its side) decides the scale. At least 1 px a side, at most
 * `maxSide`.
 */
export function scaledBox(
  box: Rect,
  corner: Corner,
  drag: Point,
  options: { keepProportions: boolean; maxSide: number },
): Rect {
  const towardsLeft = corner === 'nw' || corner === 'sw'
  const towardsTop = corner === 'nw' || corner === 'ne'
  const anchorX = towardsLeft ? box.x + box.width : box.x
  const anchorY = towardsTop ? box.y + box.height : box.y
  let width = Math.max(1, box.width + (towardsLeft ? -drag.x : drag.x))
  let height = Math.max(1, box.height + (towardsTop ? -drag.y : drag.y))
  if (options.keepProportions) {
    const scaleX = width / box.width
    const scaleY = height / box.height
    const scale = Math.abs(Math.log(scaleX)) >= Math.abs(Math.log(scaleY)) ? scaleX : scaleY
    width = box.width * scale
    height = box.height * scale
  }
  const fit = Math.min(1, options.maxSide / width, options.maxSide / height)
  width = Math.max(1, Math.round(width * fit))
  height = Math.max(1, Math.round(height * fit))
  return {
    x: towardsLeft ? anchorX - width : anchorX,
    y: towardsTop ? anchorY - height : anchorY,
    width,
    height,
  }
}
