import Konva from 'konva'
import type { Editor, EditorChange } from '../../editor/Editor'
import type { Rect } from '../../editor/geometry'
import { intersectRects } from '../../editor/geometry'
import { tileSize } from '../../editor/TiledRaster'

/** Colour of the painted mask overlay (straight RGBA; alpha scales with the mask). */
const maskColour = [255, 64, 96] as const
const maskOpacity = 0.55

/** A step preview: the model's current guess, drawn over the frame its job was queued with. */
export interface StepPreview {
  readonly image: HTMLCanvasElement
  readonly rect: Rect
}

/**
 * Draws an {@link Editor} with Konva. Each canvas module owns its nodes and is fed plain data:
 *
 * - composite layer: one bitmap per 256² tile of the flattened visible layers, rebuilt only for
 *   tiles the engine marks dirty (so a 20-layer document costs one bitmap per tile, not twenty);
 * - mask layer: one bitmap per painted mask tile; a brush stroke re-uploads the few tiles it
 *   touched and redraws only this Konva layer;
 * - overlay layer: generation frame, rectangle preview, brush cursor and the staged result.
 *
 * Only tiles in view are drawn. `destroy()` releases the stage, bitmaps and subscriptions.
 */
export class CanvasRenderer {
  readonly stage: Konva.Stage
  private readonly compositeLayer = new Konva.Layer({ listening: false })
  private readonly maskLayer = new Konva.Layer({ listening: false })
  private readonly overlayLayer = new Konva.Layer({ listening: false })
  private readonly compositeTiles = new Map<number, HTMLCanvasElement>()
  private readonly maskTiles = new Map<number, HTMLCanvasElement>()
  private readonly emptyComposite = new Set<number>()
  private readonly scratch = new Uint8ClampedArray(tileSize * tileSize * 4)
  private readonly scratchImage: ImageData
  private readonly frameRect: Konva.Rect
  private readonly frameHandles: Konva.Rect[]
  private readonly rectPreview: Konva.Rect
  private readonly cursor: Konva.Circle
  private readonly staged: Konva.Image
  private stagedSource: object | null = null
  private readonly progress: Konva.Image
  private readonly pending = new Set<EditorChange>()
  private frameRequest = 0
  private readonly unsubscribe: () => void
  /** frames drawn, for benchmarks */
  framesDrawn = 0

  constructor(
    private readonly editor: Editor,
    container: HTMLDivElement,
    size: { width: number; height: number },
    /** Benchmarks draw synchronously inside flush() so they can time a whole frame's work. */
    private readonly options: { synchronousDraw?: boolean } = {},
  ) {
    this.stage = new Konva.Stage({
      container,
      width: size.width,
      height: size.height,
      listening: false,
    })
    this.scratchImage = new ImageData(this.scratch, tileSize, tileSize)
    this.compositeLayer.add(
      new Konva.Rect({
        name: 'checkerboard',
        x: 0,
        y: 0,
        width: editor.document.width,
        height: editor.document.height,
        // Konva types the pattern as an image; createPattern takes a canvas just as well.
        fillPatternImage: checkerboard() as unknown as HTMLImageElement,
        fillPatternScale: { x: 1, y: 1 },
        listening: false,
        perfectDrawEnabled: false,
      }),
      new Konva.Shape({
        listening: false,
        perfectDrawEnabled: false,
        sceneFunc: (context) => this.drawTiles(context._context, this.compositeTiles, true),
      }),
    )
    this.maskLayer.add(
      new Konva.Shape({
        listening: false,
        perfectDrawEnabled: false,
        opacity: maskOpacity,
        sceneFunc: (context) => this.drawTiles(context._context, this.maskTiles, false),
      }),
    )
    this.staged = new Konva.Image({ image: undefined, listening: false, visible: false })
    this.progress = new Konva.Image({
      image: undefined,
      listening: false,
      visible: false,
    })
    this.frameRect = new Konva.Rect({
      stroke: '#4cc2ff',
      strokeWidth: 2,
      strokeScaleEnabled: false,
      dash: [8, 6],
      listening: false,
      perfectDrawEnabled: false,
    })
    this.frameHandles = [0, 1, 2, 3].map(
      () => new Konva.Rect({ fill: '#4cc2ff', listening: false, perfectDrawEnabled: false }),
    )
    this.rectPreview = new Konva.Rect({
      stroke: '#ffffff',
      strokeWidth: 1,
      strokeScaleEnabled: false,
      dash: [4, 4],
      visible: false,
      listening: false,
    })
    this.cursor = new Konva.Circle({
      stroke: '#ffffff',
      strokeWidth: 1,
      strokeScaleEnabled: false,
      visible: false,
      listening: false,
      perfectDrawEnabled: false,
    })
    this.overlayLayer.add(
      this.staged,
      this.progress,
      this.frameRect,
      ...this.frameHandles,
      this.rectPreview,
      this.cursor,
    )
    this.stage.add(this.compositeLayer, this.maskLayer, this.overlayLayer)
    this.unsubscribe = editor.subscribe((changes) => this.schedule(changes))
    this.schedule(new Set(['viewport', 'pixels', 'mask', 'frame', 'staging', 'tool']))
  }

  resize(width: number, height: number): void {
    this.stage.size({ width, height })
    this.schedule(new Set(['viewport']))
  }

  /** The brush outline follows the pointer (screen coordinates; null hides it). */
  showCursor(screen: { x: number; y: number } | null): void {
    const tool = this.editor.toolId
    const visible = screen !== null && (tool === 'brush' || tool === 'eraser')
    this.cursor.visible(visible)
    if (visible && screen) {
      const point = this.editor.viewport.toDocument(screen)
      this.cursor.position(point)
      this.cursor.radius(this.editor.brush.size / 2)
    }
    this.schedule(new Set(['tool']))
  }

  /**
   * The running job's latest preview (its predicted image at this step) stretched over the frame
   * it was queued with; null hides it.
   */
  showProgress(preview: StepPreview | null): void {
    if (preview) this.progress.setAttrs({ image: preview.image, ...preview.rect, visible: true })
    else this.progress.setAttrs({ image: undefined, visible: false })
    this.schedule(new Set(['staging']))
  }

  private schedule(changes: ReadonlySet<EditorChange>): void {
    for (const change of changes) this.pending.add(change)
    if (this.frameRequest === 0) this.frameRequest = requestAnimationFrame(() => this.flush())
  }

  /** Applies everything that changed since the last animation frame. */
  flush(): void {
    this.frameRequest = 0
    const changes = new Set(this.pending)
    this.pending.clear()
    const dirty = this.editor.takeDirtyTiles()
    const viewport = this.editor.viewport
    let redrawComposite = false
    let redrawMask = false
    if (changes.has('viewport')) {
      this.stage.scale({ x: viewport.scale, y: viewport.scale })
      this.stage.position({ x: viewport.offsetX, y: viewport.offsetY })
      redrawComposite = redrawMask = true
    }
    if (changes.has('canvas')) {
      const { width, height } = this.editor.document
      this.compositeLayer.findOne('.checkerboard')?.size({ width, height })
    }
    if (this.maskLayer.visible() !== this.editor.maskOverlayVisible) {
      this.maskLayer.visible(this.editor.maskOverlayVisible)
      redrawMask = true
    }
    if (dirty.all) {
      this.compositeTiles.clear()
      this.emptyComposite.clear()
      this.maskTiles.clear()
      redrawComposite = redrawMask = true
    }
    for (const key of dirty.composite) {
      this.compositeTiles.delete(key)
      this.emptyComposite.delete(key)
      redrawComposite = true
    }
    for (const key of dirty.mask) {
      this.uploadMaskTile(key)
      redrawMask = true
    }
    const draw = (layer: Konva.Layer) =>
      this.options.synchronousDraw ? layer.draw() : layer.batchDraw()
    if (redrawComposite) draw(this.compositeLayer)
    if (redrawMask) draw(this.maskLayer)
    this.updateOverlay()
    draw(this.overlayLayer)
    this.framesDrawn += 1
  }

  private visibleTileKeys(): number[] {
    const document = this.editor.document
    const view = this.editor.viewport.visibleDocumentRect()
    const rect: Rect = {
      x: Math.floor(view.x),
      y: Math.floor(view.y),
      width: Math.ceil(view.width) + 1,
      height: Math.ceil(view.height) + 1,
    }
    return intersectRects(rect, document.bounds) ? document.mask.tileKeysIn(rect) : []
  }

  private drawTiles(
    context: CanvasRenderingContext2D,
    tiles: Map<number, HTMLCanvasElement>,
    composite: boolean,
  ): void {
    const raster = this.editor.document.mask
    context.imageSmoothingEnabled = this.editor.viewport.scale < 1
    for (const key of this.visibleTileKeys()) {
      let tile = tiles.get(key)
      if (!tile && composite && !this.emptyComposite.has(key)) tile = this.uploadCompositeTile(key)
      if (!tile && !composite && raster.getTile(key)) tile = this.uploadMaskTile(key)
      if (!tile) continue
      const rect = raster.tileRect(key)
      context.drawImage(
        tile,
        0,
        0,
        rect.width,
        rect.height,
        rect.x,
        rect.y,
        rect.width,
        rect.height,
      )
    }
  }

  private uploadCompositeTile(key: number): HTMLCanvasElement | undefined {
    const pixels = this.editor.compositeTileAt(key, { cache: false, into: this.scratch })
    if (!pixels) {
      this.emptyComposite.add(key)
      return undefined
    }
    if (pixels !== this.scratch) this.scratch.set(pixels)
    const canvas = this.compositeTiles.get(key) ?? newTileCanvas()
    canvas.getContext('2d')?.putImageData(this.scratchImage, 0, 0)
    this.compositeTiles.set(key, canvas)
    return canvas
  }

  private uploadMaskTile(key: number): HTMLCanvasElement | undefined {
    const tile = this.editor.document.mask.getTile(key)
    if (!tile) {
      this.maskTiles.delete(key)
      return undefined
    }
    const out = this.scratch
    const [r, g, b] = maskColour
    for (let i = 0, o = 0; i < tile.length; i++, o += 4) {
      out[o] = r
      out[o + 1] = g
      out[o + 2] = b
      out[o + 3] = tile[i] ?? 0
    }
    const canvas = this.maskTiles.get(key) ?? newTileCanvas()
    canvas.getContext('2d')?.putImageData(this.scratchImage, 0, 0)
    this.maskTiles.set(key, canvas)
    return canvas
  }

  private updateOverlay(): void {
    const editor = this.editor
    const scale = editor.viewport.scale
    const frame = editor.document.frame
    this.frameRect.setAttrs({ x: frame.x, y: frame.y, width: frame.width, height: frame.height })
    const handle = 8 / scale
    const corners = [
      [frame.x, frame.y],
      [frame.x + frame.width, frame.y],
      [frame.x, frame.y + frame.height],
      [frame.x + frame.width, frame.y + frame.height],
    ] as const
    this.frameHandles.forEach((node, index) => {
      const [x, y] = corners[index] ?? [0, 0]
      node.setAttrs({ x: x - handle / 2, y: y - handle / 2, width: handle, height: handle })
      node.visible(editor.toolId === 'frame')
    })
    const preview = editor.rectPreview
    this.rectPreview.visible(preview !== null)
    if (preview) this.rectPreview.setAttrs(preview)
    if (this.cursor.visible()) this.cursor.radius(editor.brush.size / 2)
    const candidate = editor.stagedCandidate
    if (candidate !== this.stagedSource) {
      this.stagedSource = candidate ?? null
      if (candidate) {
        const canvas = document.createElement('canvas')
        canvas.width = candidate.rect.width
        canvas.height = candidate.rect.height
        canvas
          .getContext('2d')
          ?.putImageData(
            new ImageData(candidate.pixels.slice(), candidate.rect.width, candidate.rect.height),
            0,
            0,
          )
        this.staged.setAttrs({ image: canvas, ...candidate.rect, visible: true })
      } else {
        this.staged.setAttrs({ image: undefined, visible: false })
      }
    }
  }

  /** Bitmaps currently held (for the memory figure of the benchmark). */
  get bitmapCount(): { composite: number; mask: number } {
    return { composite: this.compositeTiles.size, mask: this.maskTiles.size }
  }

  destroy(): void {
    cancelAnimationFrame(this.frameRequest)
    this.unsubscribe()
    this.compositeTiles.clear()
    this.maskTiles.clear()
    this.stage.destroy()
  }
}

function newTileCanvas(): HTMLCanvasElement {
  const canvas = document.createElement('canvas')
  canvas.width = tileSize
  canvas.height = tileSize
  return canvas
}

/** The transparency pattern under the canvas (the surroundings stay a flat colour). */
function checkerboard(): HTMLCanvasElement {
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
