import Konva from 'konva'
import type { Editor } from '../../../editor/Editor'
import type { CanvasModule } from './CanvasModule'

/** The brush outline under the pointer, shown for the mask brush, eraser and Paint only. */
export class CursorModule implements CanvasModule {
  private readonly outline = new Konva.Circle({
    stroke: '#ffffff',
    strokeWidth: 1,
    strokeScaleEnabled: false,
    visible: false,
    listening: false,
    perfectDrawEnabled: false,
  })

  constructor(private readonly editor: Editor) {}

  mount(layer: Konva.Layer): void {
    layer.add(this.outline)
  }

  /** Moves the outline to the pointer (screen coordinates; null hides it). */
  showAt(screen: { x: number; y: number } | null): void {
    const tool = this.editor.toolId
    const visible = screen !== null && (tool === 'brush' || tool === 'eraser' || tool === 'paint')
    this.outline.visible(visible)
    if (visible) {
      this.outline.position(this.editor.viewport.toDocument(screen))
      this.outline.radius(this.editor.brush.size / 2)
    }
  }

  update(): boolean {
    if (this.outline.visible()) this.outline.radius(this.editor.brush.size / 2)
    return true
  }

  destroy(): void {
    this.outline.destroy()
  }
}
