import Konva from 'konva'
import type { Editor } from '../../../editor/Editor'
import type { CanvasModule } from './CanvasModule'

/** The dashed rectangle a rectangle tool draws while it is being dragged. */
export class RectPreviewModule implements CanvasModule {
  private readonly outline = new Konva.Rect({
    stroke: '#ffffff',
    strokeWidth: 1,
    strokeScaleEnabled: false,
    dash: [4, 4],
    visible: false,
    listening: false,
  })

  constructor(private readonly editor: Editor) {}

  mount(layer: Konva.Layer): void {
    layer.add(this.outline)
  }

  update(): boolean {
    const preview = this.editor.rectPreview
    this.outline.visible(preview !== null)
    if (preview) this.outline.setAttrs(preview)
    return true
  }

  destroy(): void {
    this.outline.destroy()
  }
}
