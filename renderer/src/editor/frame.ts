import { fitFrameAroundMask } from '../../../imaging/region'
import type { Rect } from './geometry'

export type { FrameFitOptions } from '../../../imaging/region'

/**
 * A square generation frame around `maskBounds` with padding (imaging/region's one fit, shared
 * with the CLI): at least minSide, no larger than the canvas's shorter side unless the mask is,
 * centred on the mask and kept inside the canvas where it fits; given the picture's bounds, inside
 * the picture joined with the mask.
 */
export const autoFitFrame = fitFrameAroundMask

export type FrameHandle = 'move' | Corner

/** A rectangle's corners, named by compass point. */
export type Corner = 'nw' | 'ne' | 'sw' | 'se'

/** The corners of `rect` with where each is: top-left, top-right, bottom-left, bottom-right. */
export function rectCorners(rect: Rect): readonly (readonly [Corner, number, number])[] {
  return [
    ['nw', rect.x, rect.y],
    ['ne', rect.x + rect.width, rect.y],
    ['sw', rect.x, rect.y + rect.height],
    ['se', rect.x + rect.width, rect.y + rect.height],
  ]
}

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
