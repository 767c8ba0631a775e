import Konva from 'konva'
import type { Editor } from '../../../editor/Editor'
import type { CanvasModule } from './CanvasModule'

/** The staged generation being browsed, drawn over its frame until it is accepted or discarded. */
export class StagingModule implements CanvasModule {
  private readonly image = new Konva.Image({ image: undefined, listening: false, visible: false })
  private shownCandidate: object | null = null

  constructor(private readonly editor: Editor) {}

  mount(layer: Konva.Layer): void {
    layer.add(this.image)
  }

  update(): boolean {
    const candidate = this.editor.stagedCandidate ?? null
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
      this.image.setAttrs({ image: canvas, ...candidate.rect, visible: true })
    } else {
      this.image.setAttrs({ image: undefined, visible: false })
    }
    return true
  }

  destroy(): void {
    this.image.destroy()
    this.shownCandidate = null
  }
}
