import Konva from 'konva'
import type { Editor } from '../../../editor/Editor'
import type { CanvasChanges, CanvasModule } from './CanvasModule'

/** The transparency pattern under the document (the surroundings stay a flat colour). */
export class CheckerboardModule implements CanvasModule {
  private readonly board: Konva.Rect

  constructor(private readonly editor: Editor) {
    this.board = new Konva.Rect({
      name: 'checkerboard',
      x: 0,
      y: 0,
      width: editor.document.width,
      height: editor.document.height,
      // Konva types the pattern as an image; createPattern takes a canvas just as well.
      fillPatternImage: checkerboardPattern() as unknown as HTMLImageElement,
      fillPatternScale: { x: 1, y: 1 },
      listening: false,
      perfectDrawEnabled: false,
    })
  }

  mount(layer: Konva.Layer): void {
    layer.add(this.board)
  }

  update({ changes }: CanvasChanges): boolean {
    if (!changes.has('canvas')) return false
    const { width, height } = this.editor.document
    this.board.size({ width, height })
    return true
  }

  destroy(): void {
    this.board.destroy()
  }
}

function checkerboardPattern(): HTMLCanvasElement {
  const canvas = document.createElement('canvas')
  canvas.width = 16
  canvas.height = 16
  const context = canvas.getContext('2d')
  if (context) {
    context.fillStyle = '#8a8a8a'
    context.fillRect(0, 0, 16, 16)
    context.fillStyle = '#b4b4b4'
    context.fillRect(0, 0, 8, 8)
    context.fillRect(8, 8, 8, 8)
  }
  return canvas
}
