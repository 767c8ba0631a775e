import Konva from 'konva'
import type { Editor } from '../../../editor/Editor'
import type { Rect } from '../../../editor/geometry'
import { unionRects } from '../../../editor/geometry'
import type { TileCompositeRequest } from '../../../editor/parts/RenderCache'
import type { CanvasChanges, CanvasModule } from './CanvasModule'
import { drawVisibleTiles, TileBitmapStore } from './tileBitmaps'

/**
 * The flattened visible layers: one bitmap per 256² tile, uploaded when first drawn (a 20-layer
 * document costs one bitmap per tile, not twenty). A tile the engine marks dirty keeps its bitmap,
 * and when next drawn has only the part that changed composited and uploaded again: a brush
 * stroke's frame costs the dabs' area, not whole tiles.
 */
export class LayerTilesModule implements CanvasModule {
  private readonly bitmaps = new TileBitmapStore()
  /** Tiles known to hold no visible pixels, so they are not composited again every frame. */
  private readonly emptyTiles = new Set<number>()
  /** The part of each bitmap that is out of date (tile coordinates), redrawn when next drawn. */
  private readonly staleRegions = new Map<number, Rect>()
  private readonly shape: Konva.Shape
  /**
   * After {@link update}: the document area (whole tiles) whose picture changed, when nothing else
   * did, so the renderer can redraw only there; null when the whole view must be redrawn.
   */
  changedArea: Rect | null = null

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
    let changedArea: Rect | null = null
    if (dirty.all) {
      this.bitmaps.clear()
      this.emptyTiles.clear()
      this.staleRegions.clear()
      redraw = true
    }
    for (const key of dirty.composite) {
      const region = dirty.compositeRegions.get(key)
      if (region && this.bitmaps.get(key)) {
        const stale = this.staleRegions.get(key) ?? null
        this.staleRegions.set(key, unionRects(stale, region) ?? region)
      } else {
        this.bitmaps.delete(key)
        this.emptyTiles.delete(key)
        this.staleRegions.delete(key)
      }
      // Every raster of the document shares the mask's tile grid.
      changedArea = unionRects(changedArea, this.editor.document.mask.tileRect(key))
      redraw = true
    }
    this.changedArea = redraw && !changes.has('viewport') && !dirty.all ? changedArea : null
    return redraw
  }

  get bitmapCount(): number {
    return this.bitmaps.size
  }

  destroy(): void {
    this.shape.destroy()
    this.bitmaps.clear()
    this.emptyTiles.clear()
    this.staleRegions.clear()
  }

  private bitmapFor(key: number): HTMLCanvasElement | undefined {
    const cached = this.bitmaps.get(key)
    // Only a tile with a bitmap has a stale region.
    const stale = this.staleRegions.get(key)
    if (cached && !stale) return cached
    if (!cached && this.emptyTiles.has(key)) return undefined
    this.staleRegions.delete(key)
    const scratch = this.bitmaps.pixels
    const request: TileCompositeRequest = { cache: false, into: scratch, within: stale }
    const pixels = this.editor.compositeTileAt(key, request)
    if (!pixels) {
      this.bitmaps.delete(key)
      this.emptyTiles.add(key)
      return undefined
    }
    if (pixels !== scratch) scratch.set(pixels)
    return this.bitmaps.upload(key, stale)
  }
}
