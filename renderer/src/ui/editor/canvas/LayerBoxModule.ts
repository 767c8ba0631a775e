import Konva from 'konva'
import type { Rect } from '../../../editor/geometry'
import type { Editor, EditorChange } from '../../../editor/Editor'
import type { CanvasChanges, CanvasModule } from './CanvasModule'
import { placeCornerHandles } from './cornerHandles'

const boxColour = '#f5f5f5'
const shadowColour = '#202020'
/** Corner handle size in screen pixels (kept constant at every zoom). */
const handleScreenSize = 8

/** What can move the active layer's box or change which layer it is. */
const boxChanges: ReadonlySet<EditorChange> = new Set([
  'tool',
  'layers',
  'pixels',
  'history',
  'accepted',
  'canvas',
])

/**
 * With the Move tool: the active layer's box (its content), with the corner handles that scale
 * it. Hidden with other tools, and for a locked or empty layer.
 */
export class LayerBoxModule implements CanvasModule {
  private readonly outline = new Konva.Rect({
    stroke: boxColour,
    strokeWidth: 1,
    strokeScaleEnabled: false,
    shadowColor: shadowColour,
    shadowBlur: 0,
    shadowOffset: { x: 1, y: 1 },
    listening: false,
    perfectDrawEnabled: false,
  })
  private readonly handles = [0, 1, 2, 3].map(
    () =>
      new Konva.Rect({
        fill: boxColour,
        stroke: shadowColour,
        strokeWidth: 1,
        strokeScaleEnabled: false,
        listening: false,
        perfectDrawEnabled: false,
      }),
  )

  constructor(private readonly editor: Editor) {}

  mount(layer: Konva.Layer): void {
    layer.add(this.outline, ...this.handles)
  }

  /** The box shown; finding a layer's content reads its pixels, so zooming keeps this one. */
  private box: Rect | null = null

  update({ changes }: CanvasChanges): boolean {
    const moved = [...changes].some((change) => boxChanges.has(change))
    if (!moved && !changes.has('viewport')) return false
    if (moved) this.box = this.editor.toolId === 'move' ? this.editor.layerTransformBox : null
    this.show(this.box)
    return true
  }

  private show(box: Rect | null): void {
    this.outline.visible(box !== null)
    for (const handle of this.handles) handle.visible(box !== null)
    if (!box) return
    this.outline.setAttrs({ x: box.x, y: box.y, width: box.width, height: box.height })
    placeCornerHandles(this.handles, box, handleScreenSize / this.editor.viewport.scale)
  }

  destroy(): void {
    this.outline.destroy()
    for (const handle of this.handles) handle.destroy()
  }
}
