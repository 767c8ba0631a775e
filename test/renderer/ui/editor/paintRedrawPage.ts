/**
 * Runs in Chromium (bundled by CanvasRenderer.test.ts): paints a stroke frame by frame on a real
 * Konva stage and compares the document layer's canvas after each frame, drawn only where the
 * stroke changed tiles, with a full redraw of it.
 */
import Konva from 'konva'
import { Editor } from '../../../../renderer/src/editor/Editor'
import type { RgbaImage } from '../../../../renderer/src/editor/EditorDocument'
import { CanvasRenderer } from '../../../../renderer/src/ui/editor/CanvasRenderer'

export interface PaintRedrawResult {
  frames: number
  /** frames whose canvas differed from a full redraw (their indices) */
  framesUnlikeFullRedraw: number[]
  /**
   * Whether the frames left a marker in the canvas's corner untouched (they drew only their area);
   * meaningful at fit, where the corner lies outside the document.
   */
  drewOnlyChangedArea: boolean
  /** whether the canvas after the stroke equals one drawn from tiles all composited anew */
  bitmapsLikeFreshComposites: boolean
  scale: number
}

function patternImage(width: number, height: number, alpha: number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4
      data.set([x & 255, y & 255, (x * 7 + y * 13) & 255, alpha], i)
    }
  }
  return { width, height, data }
}

function sameBytes(a: Uint8ClampedArray, b: Uint8ClampedArray): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

async function run(view: 'fit' | 'zoomed', pixelRatio: number): Promise<PaintRedrawResult> {
  Konva.pixelRatio = pixelRatio
  const host = document.getElementById('host') as HTMLDivElement
  const editor = Editor.blank(1000, 700, 'redraw')
  editor.addImageLayer(patternImage(1000, 700, 255), 'picture', { x: 0, y: 0 })
  const middle = editor.addImageLayer(patternImage(800, 500, 120), 'middle', { x: 100, y: 100 })
  editor.setLayerOpacity(middle.id, 0.6)
  editor.addImageLayer(patternImage(400, 300, 90), 'top', { x: 300, y: 200 })
  editor.selectLayer(middle.id)
  editor.setViewportSize(400, 400)
  editor.zoomToFit()
  if (view === 'zoomed') editor.zoomAt({ x: 213, y: 187 }, 4)
  const renderer = new CanvasRenderer(
    editor,
    host,
    { width: 400, height: 400 },
    {
      synchronousDraw: true,
    },
  )
  renderer.flush()
  const layer = renderer.stage.getLayers()[0]!
  const canvas = layer.getNativeCanvasElement()
  const context = canvas.getContext('2d')!
  const pixels = () => context.getImageData(0, 0, canvas.width, canvas.height).data
  editor.setTool('paint')
  editor.setPaintColour([250, 120, 10])
  editor.setBrushSize(view === 'fit' ? 60 : 20)
  editor.setBrushHardness(0.4)

  const path = Array.from({ length: 24 }, (_, index) => {
    const angle = (index / 24) * Math.PI * 3
    const radius = 40 + index * 5
    return { x: 200 + Math.cos(angle) * radius, y: 200 + Math.sin(angle) * radius }
  })
  const framesUnlikeFullRedraw: number[] = []
  editor.pointerDown(editor.pointerEvent(path[0]!, 0))
  let drewOnlyChangedArea = true
  path.slice(1).forEach((point, frame) => {
    // A marker in the corner, far from the stroke, survives a frame that draws only its area.
    context.save()
    context.setTransform(1, 0, 0, 1, 0, 0)
    context.fillStyle = '#ff00ff'
    context.fillRect(0, 0, 1, 1)
    context.restore()
    editor.pointerMove(editor.pointerEvent(point, 0))
    renderer.flush()
    const marker = context.getImageData(0, 0, 1, 1).data
    if (marker[0] !== 255 || marker[1] !== 0 || marker[2] !== 255) drewOnlyChangedArea = false
    // The comparison leaves out the marker's pixel.
    const partial = pixels().slice(4)
    layer.draw()
    if (!sameBytes(partial, pixels().slice(4))) framesUnlikeFullRedraw.push(frame)
  })
  editor.pointerUp(editor.pointerEvent(path.at(-1)!, 0))
  // Tiles composited anew from the layers show what the bitmaps updated in part showed.
  const updatedInPart = pixels()
  editor.setLayerVisible(middle.id, false)
  editor.setLayerVisible(middle.id, true)
  renderer.flush()
  const result = {
    frames: path.length - 1,
    framesUnlikeFullRedraw,
    drewOnlyChangedArea,
    bitmapsLikeFreshComposites: sameBytes(updatedInPart, pixels()),
    scale: editor.viewport.scale,
  }
  renderer.destroy()
  Konva.pixelRatio = 1
  return result
}

;(window as unknown as { runPaintRedraw: typeof run }).runPaintRedraw = run
