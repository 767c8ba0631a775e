import type Konva from 'konva'
import type { EditorChange } from '../../../editor/Editor'
import type { Rect } from '../../../editor/geometry'

/** Tiles the engine marked stale since the last frame (taken once per frame by the renderer). */
export interface DirtyTiles {
  readonly all: boolean
  readonly composite: readonly number[]
  /** For each tile of `composite`, the part of it that changed (tile coordinates). */
  readonly compositeRegions: ReadonlyMap<number, Rect>
  readonly mask: readonly number[]
}

/** Everything that changed since the previous animation frame. */
export interface CanvasChanges {
  readonly changes: ReadonlySet<EditorChange>
  readonly dirty: DirtyTiles
}

/**
 * One part of the canvas picture. The renderer mounts each module once, on the Konva layer it
 * draws in, calls `update` once per animation frame, and `destroy` when the canvas goes away.
 * A module owns the nodes and bitmaps it creates; `destroy` removes every one of them.
 */
export interface CanvasModule {
  mount(layer: Konva.Layer): void
  /** Applies one frame's changes; true when the module's layer must be redrawn. */
  update(changes: CanvasChanges): boolean
  destroy(): void
}
