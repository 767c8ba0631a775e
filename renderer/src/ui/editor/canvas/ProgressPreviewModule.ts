import Konva from 'konva'
import type { Rect } from '../../../editor/geometry'
import type { CanvasModule } from './CanvasModule'

/** A step preview: the model's current guess, drawn over the frame its job was queued with. */
export interface StepPreview {
  readonly image: HTMLCanvasElement
  readonly rect: Rect
}

/** The running job's latest step preview, stretched over its job's frame. */
export class ProgressPreviewModule implements CanvasModule {
  private readonly image = new Konva.Image({ image: undefined, listening: false, visible: false })

  mount(layer: Konva.Layer): void {
    layer.add(this.image)
  }

  /** Shows `preview` (null hides it); drawn at the next frame. */
  show(preview: StepPreview | null): void {
    if (preview) this.image.setAttrs({ image: preview.image, ...preview.rect, visible: true })
    else this.image.setAttrs({ image: undefined, visible: false })
  }

  update(): boolean {
    return true
  }

  destroy(): void {
    this.image.destroy()
  }
}
