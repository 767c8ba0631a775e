import type { Rect, Size } from './geometry'

export interface FrameFitOptions {
  /** free space kept around the mask on each side, in document pixels */
  readonly padding?: number
  /** the smallest frame side; the models see 256 px, so smaller frames only upscale */
  readonly minSide?: number
}

/**
 * A square generation frame around `maskBounds` with padding, kept inside the canvas when the
 * canvas is large enough, centred on the canvas on an axis where it is not.
 *
 *   canvas ┌───────────────────────┐
 *          │   frame ┌────────┐    │
 *          │         │ ░mask░ │    │   side = max(mask w, mask h) + 2·padding, ≥ minSide,
 *          │         └────────┘    │          ≤ the canvas's longer side
 *          └───────────────────────┘
 */
export function autoFitFrame(maskBounds: Rect, canvas: Size, options: FrameFitOptions = {}): Rect {
  const padding = options.padding ?? 32
  const minSide = options.minSide ?? 256
  const longest = Math.max(canvas.width, canvas.height)
  const wanted = Math.max(maskBounds.width, maskBounds.height) + 2 * padding
  const side = Math.min(Math.max(wanted, Math.min(minSide, longest)), longest)
  const centreX = maskBounds.x + maskBounds.width / 2
  const centreY = maskBounds.y + maskBounds.height / 2
  return {
    x: placeAxis(centreX, side, canvas.width),
    y: placeAxis(centreY, side, canvas.height),
    width: side,
    height: side,
  }
}

function placeAxis(centre: number, side: number, extent: number): number {
  if (side >= extent) return Math.floor((extent - side) / 2)
  return Math.min(Math.max(Math.round(centre - side / 2), 0), extent - side)
}

export type FrameHandle = 'move' | 'nw' | 'ne' | 'sw' | 'se'

/**
 * The frame after dragging `handle` by (dx, dy). Resizing keeps it square (the larger of the two
 * moves wins) and anchors the opposite corner; sides stay within [minSide, maxSide].
 */
export function dragFrame(
  start: Rect,
  handle: FrameHandle,
  dx: number,
  dy: number,
  limits: { minSide: number; maxSide: number },
): Rect {
  if (handle === 'move') {
    return { ...start, x: Math.round(start.x + dx), y: Math.round(start.y + dy) }
  }
  const signX = handle === 'ne' || handle === 'se' ? 1 : -1
  const signY = handle === 'sw' || handle === 'se' ? 1 : -1
  const grow = Math.abs(dx) > Math.abs(dy) ? dx * signX : dy * signY
  const side = Math.round(Math.min(Math.max(start.width + grow, limits.minSide), limits.maxSide))
  const x = signX > 0 ? start.x : start.x + start.width - side
  const y = signY > 0 ? start.y : start.y + start.height - side
  return { x, y, width: side, height: side }
}
