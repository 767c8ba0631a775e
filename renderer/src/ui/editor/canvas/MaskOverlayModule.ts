import Konva from 'konva'
import type { Editor } from '../../../editor/Editor'
import type { CanvasChanges, CanvasModule } from './CanvasModule'
import { drawVisibleTiles, TileBitmapStore } from './tileBitmaps'

/** Colour of the painted mask overlay (straight RGBA; alpha scales with the mask). */
const maskColour = [255, 64, 96] as const
const maskOpacity = 0.55

/**
 * The painted mask as a tinted overlay: one bitmap per painted mask tile. A brush stroke
 * re-uploads only the tiles it touched; hidden while the editor's mask overlay is off.
 */
export class MaskOverlayModule implements CanvasModule {
  private readonly bitmaps = new TileBitmapStore()
  private readonly shape: Konva.Shape

  constructor(private readonly editor: Editor) {
    this.shape = new Konva.Shape({
      listening: false,
      perfectDrawEnabled: false,
      opacity: maskOpacity,
      sceneFunc: (context) =>
        drawVisibleTiles(
          context._context,
          editor,
          (key) => this.bitmaps.get(key) ?? this.upload(key),
        ),
    })
  }

  mount(layer: Konva.Layer): void {
    layer.add(this.shape)
  }

  update({ changes, dirty }: CanvasChanges): boolean {
    let redraw = changes.has('viewport')
    if (this.shape.visible() !== this.editor.maskOverlayVisible) {
      this.shape.visible(this.editor.maskOverlayVisible)
      redraw = true
    }
    if (dirty.all) {
      this.bitmaps.clear()
      redraw = true
    }
    for (const key of dirty.mask) {
      this.upload(key)
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
  }

  private upload(key: number): HTMLCanvasElement | undefined {
    const tile = this.editor.document.mask.getTile(key)
    if (!tile) {
      this.bitmaps.delete(key)
      return undefined
    }
    const out = this.bitmaps.pixels
    const [r, g, b] = maskColour
    for (let i = 0, o = 0; i < tile.length; i++, o += 4) {
      out[o] = r
      out[o + 1] = g
      out[o + 2] = b
      out[o + 3] = tile[i] ?? 0
    }
    return this.bitmaps.upload(key)
  }
}
