import Konva from 'konva'
import type { Editor } from '../../../editor/Editor'
import type { CanvasChanges, CanvasModule } from './CanvasModule'
import { drawVisibleTiles, TileBitmapStore } from './tileBitmaps'

/**
 * The flattened visible layers: one bitmap per 256² tile, uploaded when first drawn and dropped
 * when the engine marks the tile dirty (a 20-layer document costs one bitmap per tile, not twenty).
 */
export class LayerTilesModule implements CanvasModule {
  private readonly bitmaps = new TileBitmapStore()
  /** Tiles known to hold no visible pixels, so they are not composited again every frame. */
  private readonly emptyTiles = new Set<number>()
  private readonly shape: Konva.Shape

  constructor(private readonly editor: Editor) {
    this.shape = new Konva.Shape({
      listening: false,
      perfectDrawEnabled: false,
      sceneFunc: (context) =>
        drawVisibleTiles(context._context, editor, (key) => this.bitmapFor(key)),
    })
  }

  mount(layer: Konva.Layer): void {
    layer.add(this.shape)
  }

  update({ changes, dirty }: CanvasChanges): boolean {
    let redraw = changes.has('viewport')
    if (dirty.all) {
      this.bitmaps.clear()
      this.emptyTiles.clear()
      redraw = true
    }
    for (const key of dirty.composite) {
      this.bitmaps.delete(key)
      this.emptyTiles.delete(key)
      redraw = true
    }
    return redraw
  }

  get bitmapCount(): number {
    return this.bitmaps.size
  }

  destroy(): void {
    this.shape.destroy()
    this.bitmaps.clear()
    this.emptyTiles.clear()
  }

  private bitmapFor(key: number): HTMLCanvasElement | undefined {
    const cached = this.bitmaps.get(key)
    if (cached || this.emptyTiles.has(key)) return cached
    const scratch = this.bitmaps.pixels
    const pixels = this.editor.compositeTileAt(key, { cache: false, into: scratch })
    if (!pixels) {
      this.emptyTiles.add(key)
      return undefined
    }
    if (pixels !== scratch) scratch.set(pixels)
    return this.bitmaps.upload(key)
  }
}
