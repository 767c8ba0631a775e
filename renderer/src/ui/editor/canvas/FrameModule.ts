import Konva from 'konva'
import type { Editor } from '../../../editor/Editor'
import type { CanvasModule } from './CanvasModule'
import { placeCornerHandles } from './cornerHandles'

const frameColour = '#4cc2ff'
/** Corner handle size in screen pixels (kept constant at every zoom). */
const handleScreenSize = 8

/** The generation frame: a dashed square, with corner handles while the frame tool is active. */
export class FrameModule implements CanvasModule {
  private readonly outline = new Konva.Rect({
    stroke: frameColour,
    strokeWidth: 2,
    strokeScaleEnabled: false,
    dash: [8, 6],
    listening: false,
    perfectDrawEnabled: false,
  })
  private readonly handles = [0, 1, 2, 3].map(
    () => new Konva.Rect({ fill: frameColour, listening: false, perfectDrawEnabled: false }),
  )

  constructor(private readonly editor: Editor) {}

  mount(layer: Konva.Layer): void {
    layer.add(this.outline, ...this.handles)
  }

  update(): boolean {
    const frame = this.editor.document.frame
    this.outline.setAttrs({ x: frame.x, y: frame.y, width: frame.width, height: frame.height })
    placeCornerHandles(this.handles, frame, handleScreenSize / this.editor.viewport.scale)
    const visible = this.editor.toolId === 'frame'
    for (const handle of this.handles) handle.visible(visible)
    return true
  }

  destroy(): void {
    this.outline.destroy()
    for (const handle of this.handles) handle.destroy()
  }
}
