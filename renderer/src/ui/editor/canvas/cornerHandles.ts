import type Konva from 'konva'
import { rectCorners } from '../../../editor/frame'
import type { Rect } from '../../../editor/geometry'

/**
 * Puts four square handles on the corners of `box` (top-left, top-right, bottom-left,
 * bottom-right), `side` document pixels a side (a constant screen size divided by the zoom).
 */
export function placeCornerHandles(handles: readonly Konva.Rect[], box: Rect, side: number): void {
  rectCorners(box).forEach(([, x, y], index) => {
    handles[index]?.setAttrs({ x: x - side / 2, y: y - side / 2, width: side, height: side })
  })
}
