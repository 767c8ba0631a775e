// The editor's geometry is the shared one (imaging/ is pure and imported by main as well).
export {
  clamp,
  intersectRects,
  maskBounds,
  outerIntegerRect,
  rectContains,
  rectFromCorners,
  sameRect,
  unionRects,
  type Point,
  type Rect,
  type Size,
} from '../../../imaging/geometry'
