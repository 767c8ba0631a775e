import Konva from 'konva'
import type { Editor } from '../../../editor/Editor'
import type { CanvasModule } from './CanvasModule'

/** The staged generation being browsed, drawn over its frame until it is accepted or discarded. */
export class StagingModule implements CanvasModule {
  private bitmap: HTMLCanvasElement | null = null
  private readonly image = new Konva.Shape({
    listening: false,
    visible: false,
    sceneFunc: (context, shape) => {
      if (!this.bitmap) return
      // Drawn as the layer tiles are: square pixels when zoomed in. Smoothed, the candidate's
      // edge blended with the transparent pixels beside it and showed a seam until accepted.
      context.setAttr('imageSmoothingEnabled', this.editor.viewport.scale < 1)
      context.drawImage(this.bitmap, 0, 0, shape.width(), shape.height())
    },
  })
  private shownCandidate: object | null = null

  constructor(private readonly editor: Editor) {}

  mount(layer: Konva.Layer): void {
    layer.add(this.image)
  }

  update(): boolean {
    const candidate = this.editor.stagedCandidate ?? null
    // Shown again as it was after a look at the original underneath.
    this.image.visible(candidate !== null && !this.editor.stagedOriginalShown)
    if (candidate === this.shownCandidate) return true
    this.shownCandidate = candidate
    if (candidate) {
      const { width, height } = candidate.rect
      const canvas = document.createElement('canvas')
      canvas.width = width
      canvas.height = height
      canvas
        .getContext('2d')
        ?.putImageData(new ImageData(candidate.pixels.slice(), width, height), 0, 0)
      this.bitmap = canvas
      this.image.position(candidate.rect)
      this.image.size(candidate.rect)
    } else {
      this.bitmap = null
    }
    return true
  }

  destroy(): void {
    this.image.destroy()
    this.bitmap = null
    this.shownCandidate = null
  }
}
