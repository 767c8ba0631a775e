import Konva from 'konva'
import type { Editor, EditorChange } from '../../editor/Editor'
import type { Rect } from '../../editor/geometry'
import type { CanvasModule } from './canvas/CanvasModule'
import { CheckerboardModule } from './canvas/CheckerboardModule'
import { CursorModule } from './canvas/CursorModule'
import { FrameModule } from './canvas/FrameModule'
import { LayerBoxModule } from './canvas/LayerBoxModule'
import { LayerTilesModule } from './canvas/LayerTilesModule'
import { MaskOverlayModule } from './canvas/MaskOverlayModule'
import { ProgressPreviewModule, type StepPreview } from './canvas/ProgressPreviewModule'
import { RectPreviewModule } from './canvas/RectPreviewModule'
import { StagingModule } from './canvas/StagingModule'

export type { StepPreview } from './canvas/ProgressPreviewModule'

/** A Konva layer and the modules drawn in it, bottom to top. */
interface LayerGroup {
  readonly layer: Konva.Layer
  readonly modules: readonly CanvasModule[]
}

/**
 * Draws an {@link Editor} with Konva. The renderer owns the stage and three layers (document
 * tiles, mask overlay, overlays) and the canvas modules in them (`canvas/`), each owning its own
 * nodes and bitmaps. Editor changes are collected and applied once per animation frame: the stage
 * follows the viewport, every module updates, and only layers whose modules changed are redrawn;
 * where only some document tiles changed (a brush stroke), only their part of the view.
 * `destroy()` destroys the modules, then the stage, and drops the editor subscription.
 */
export class CanvasRenderer {
  readonly stage: Konva.Stage
  private readonly layerTiles: LayerTilesModule
  private readonly maskOverlay: MaskOverlayModule
  private readonly progress = new ProgressPreviewModule()
  private readonly cursor: CursorModule
  private readonly groups: readonly LayerGroup[]
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
    this.layerTiles = new LayerTilesModule(editor)
    this.maskOverlay = new MaskOverlayModule(editor)
    this.cursor = new CursorModule(editor)
    this.groups = [
      { layer: newLayer(), modules: [new CheckerboardModule(editor), this.layerTiles] },
      { layer: newLayer(), modules: [this.maskOverlay] },
      {
        layer: newLayer(),
        modules: [
          new StagingModule(editor),
          this.progress,
          new FrameModule(editor),
          new LayerBoxModule(editor),
          new RectPreviewModule(editor),
          this.cursor,
        ],
      },
    ]
    for (const { layer, modules } of this.groups) {
      for (const module of modules) module.mount(layer)
      this.stage.add(layer)
    }
    this.unsubscribe = editor.subscribe((changes) => this.schedule(changes))
    this.schedule(new Set(['viewport', 'pixels', 'mask', 'frame', 'staging', 'tool']))
  }

  resize(width: number, height: number): void {
    this.stage.size({ width, height })
    this.schedule(new Set(['viewport']))
  }

  /** The brush outline follows the pointer (screen coordinates; null hides it). */
  showCursor(screen: { x: number; y: number } | null): void {
    this.cursor.showAt(screen)
    this.schedule(new Set(['tool']))
  }

  /**
   * The running job's latest preview (its predicted image at this step) stretched over the frame
   * it was queued with; null hides it.
   */
  showProgress(preview: StepPreview | null): void {
    this.progress.show(preview)
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
    if (changes.has('viewport')) {
      const viewport = this.editor.viewport
      this.stage.scale({ x: viewport.scale, y: viewport.scale })
      this.stage.position({ x: viewport.offsetX, y: viewport.offsetY })
    }
    for (const { layer, modules } of this.groups) {
      let redraw = false
      let onlyTilesChanged = true
      for (const module of modules) {
        if (!module.update({ changes, dirty })) continue
        redraw = true
        if (module !== this.layerTiles) onlyTilesChanged = false
      }
      if (!redraw) continue
      const area = onlyTilesChanged ? this.layerTiles.changedArea : null
      if (area) redrawArea(layer, area)
      else if (this.options.synchronousDraw) layer.draw()
      else layer.batchDraw()
    }
    this.framesDrawn += 1
  }

  /** Bitmaps currently held (for the memory figure of the benchmark). */
  get bitmapCount(): { composite: number; mask: number } {
    return { composite: this.layerTiles.bitmapCount, mask: this.maskOverlay.bitmapCount }
  }

  destroy(): void {
    cancelAnimationFrame(this.frameRequest)
    this.frameRequest = 0
    this.unsubscribe()
    for (const { modules } of this.groups) for (const module of modules) module.destroy()
    this.stage.destroy()
  }
}

/**
 * Redraws, now, only the device pixels of `layer` that `area` (document coordinates) covers,
 * rounded out to whole pixels. The clip is pixel-aligned and every node still draws, so inside it
 * the pixels are those a full redraw gives, and outside them nothing changes.
 */
function redrawArea(layer: Konva.Layer, area: Rect): void {
  const canvas = layer.getCanvas()
  const ratio = canvas.getPixelRatio()
  const toScreen = layer.getAbsoluteTransform()
  const topLeft = toScreen.point({ x: area.x, y: area.y })
  const bottomRight = toScreen.point({ x: area.x + area.width, y: area.y + area.height })
  const left = Math.max(0, Math.floor(topLeft.x * ratio))
  const top = Math.max(0, Math.floor(topLeft.y * ratio))
  const right = Math.min(canvas.width, Math.ceil(bottomRight.x * ratio))
  const bottom = Math.min(canvas.height, Math.ceil(bottomRight.y * ratio))
  if (right <= left || bottom <= top) return
  const context = canvas.getContext()._context
  context.save()
  const pixelRatioTransform = context.getTransform()
  context.setTransform(1, 0, 0, 1, 0, 0)
  context.beginPath()
  context.rect(left, top, right - left, bottom - top)
  context.clip()
  context.setTransform(pixelRatioTransform)
  // Clears (inside the clip) and draws every node, as draw() does.
  layer.drawScene()
  context.restore()
}

function newLayer(): Konva.Layer {
  return new Konva.Layer({ listening: false })
}
