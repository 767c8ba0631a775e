/**
 * Runs in Chromium (bundled by bench/editorBrush.ts): a 4096² document with 20 layers, a mask
 * brush stroke (then a Paint stroke on the top layer) driven one animation frame at a time,
 * timing each frame's input handling and drawing.
 */
import { Editor } from '../renderer/src/editor/Editor'
import { tileSize } from '../renderer/src/editor/TiledRaster'
import { CanvasRenderer } from '../renderer/src/ui/editor/CanvasRenderer'

export interface BrushBenchResult {
  label: string
  frames: number
  workMeanMs: number
  workP95Ms: number
  workMaxMs: number
  deliveredFps: number
  compositeBitmaps: number
  maskBitmaps: number
  firstDrawMs: number
}

function buildDocument(side: number, layerCount: number): Editor {
  const editor = Editor.blank(side, side, 'bench')
  const background = editor.layers[0]!
  for (let index = 0; index < layerCount; index++) {
    const layer = index === 0 ? background : editor.addLayer(`Layer ${index}`)
    const raster = layer.raster
    const alpha = index === 0 ? 255 : 70
    for (let key = 0; key < raster.tilesX * raster.tilesY; key++) {
      const tile = raster.ensureTile(key)
      const words = new Uint32Array(tile.buffer)
      const colour =
        ((alpha << 24) |
          (((index * 37 + key) & 255) << 16) |
          (((index * 91) & 255) << 8) |
          ((key * 13) & 255)) >>>
        0
      words.fill(colour)
      // A stripe so tiles are not uniform.
      for (let y = 0; y < tileSize; y += 16)
        words.fill(0xff000000 | (index * 11), y * tileSize, y * tileSize + tileSize / 2)
    }
  }
  editor.history.clear()
  return editor
}

async function nextFrame(): Promise<number> {
  return new Promise((resolve) => requestAnimationFrame(resolve))
}

async function strokeBench(
  editor: Editor,
  renderer: CanvasRenderer,
  label: string,
  frames: number,
  tool: 'brush' | 'paint' = 'brush',
): Promise<BrushBenchResult> {
  const viewport = editor.viewport
  const centre = { x: viewport.width / 2, y: viewport.height / 2 }
  const start = performance.now()
  renderer.flush()
  const firstDrawMs = performance.now() - start
  const work: number[] = []
  const stamps: number[] = []
  editor.setTool(tool)
  editor.pointerDown(editor.pointerEvent(centre, 0))
  for (let frame = 0; frame < frames; frame++) {
    stamps.push(await nextFrame())
    const t0 = performance.now()
    // Four pointer events per frame, as a fast hand on a 240 Hz pen or mouse delivers.
    for (let k = 1; k <= 4; k++) {
      const t = (frame * 4 + k) / (frames * 4)
      const angle = t * Math.PI * 6
      const radius = 0.35 * Math.min(viewport.width, viewport.height) * (0.4 + 0.6 * t)
      editor.pointerMove(
        editor.pointerEvent(
          { x: centre.x + Math.cos(angle) * radius, y: centre.y + Math.sin(angle) * radius },
          0,
        ),
      )
    }
    renderer.flush()
    work.push(performance.now() - t0)
  }
  editor.pointerUp(editor.pointerEvent(centre, 0))
  const sorted = [...work].sort((a, b) => a - b)
  const intervals = stamps.slice(1).map((stamp, index) => stamp - (stamps[index] ?? stamp))
  const meanInterval =
    intervals.reduce((sum, value) => sum + value, 0) / Math.max(1, intervals.length)
  const bitmaps = renderer.bitmapCount
  return {
    label,
    frames,
    workMeanMs: work.reduce((sum, value) => sum + value, 0) / work.length,
    workP95Ms: sorted[Math.floor(sorted.length * 0.95)] ?? 0,
    workMaxMs: sorted.at(-1) ?? 0,
    deliveredFps: 1000 / meanInterval,
    compositeBitmaps: bitmaps.composite,
    maskBitmaps: bitmaps.mask,
    firstDrawMs,
  }
}

/** requestAnimationFrame with nothing to do: the ceiling this browser and machine allow. */
async function idleFrames(frames: number): Promise<BrushBenchResult> {
  const stamps: number[] = []
  for (let frame = 0; frame < frames; frame++) stamps.push(await nextFrame())
  const span = (stamps.at(-1) ?? 0) - (stamps[0] ?? 0)
  return {
    label: 'idle requestAnimationFrame (ceiling)',
    frames,
    workMeanMs: 0,
    workP95Ms: 0,
    workMaxMs: 0,
    deliveredFps: ((frames - 1) * 1000) / span,
    compositeBitmaps: 0,
    maskBitmaps: 0,
    firstDrawMs: 0,
  }
}

async function run(): Promise<BrushBenchResult[]> {
  const host = document.getElementById('host') as HTMLDivElement
  const size = { width: 1280, height: 800 }
  const editor = buildDocument(4096, 20)
  editor.setViewportSize(size.width, size.height)
  editor.setBrushSize(96)
  const renderer = new CanvasRenderer(editor, host, size, { synchronousDraw: true })
  const results: BrushBenchResult[] = [await idleFrames(120)]
  editor.zoomToFit()
  results.push(await strokeBench(editor, renderer, 'fit (whole 4096² canvas in view)', 240))
  editor.zoomToActualSize()
  editor.setBrushSize(64)
  results.push(await strokeBench(editor, renderer, '100 % zoom', 240))
  editor.zoomAt({ x: size.width / 2, y: size.height / 2 }, 4)
  results.push(await strokeBench(editor, renderer, '400 % zoom', 240))
  // The Paint tool on the top layer: each frame composites and redraws only what its dabs touched.
  editor.setBrushSize(96)
  editor.zoomToFit()
  results.push(await strokeBench(editor, renderer, 'Paint, fit', 240, 'paint'))
  editor.zoomToActualSize()
  editor.setBrushSize(64)
  results.push(await strokeBench(editor, renderer, 'Paint, 100 % zoom', 240, 'paint'))
  renderer.destroy()
  return results
}

;(window as unknown as { runBrushBench: typeof run }).runBrushBench = run
