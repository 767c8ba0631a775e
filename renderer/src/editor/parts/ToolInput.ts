import type { Point } from '../geometry'
import { FrameTool } from '../tools/FrameTool'
import { MaskBrushTool } from '../tools/MaskBrushTool'
import { MoveTool } from '../tools/MoveTool'
import { PaintTool } from '../tools/PaintTool'
import { PanTool } from '../tools/PanTool'
import { RectMaskTool } from '../tools/RectMaskTool'
import type { Tool, ToolId, ToolPointerEvent } from '../tools/Tool'
import { Viewport } from '../Viewport'
import type { EditSession } from './EditSession'
import type { LayerOperations } from './LayerOperations'
import type { LayerPainting } from './LayerPainting'
import type { MaskOperations } from './MaskOperations'

/**
 * Pointer input and the view: the current tool, a temporary pan (middle button or space-drag with
 * any tool), zoom and the brush settings. Tools are small state machines (see tools/).
 */
export class ToolInput {
  readonly viewport = new Viewport()
  spaceHeld = false
  private readonly tools: Record<ToolId, Tool>
  private tool: Tool
  private temporaryPan: PanTool | null = null

  constructor(
    private readonly session: EditSession,
    private readonly mask: MaskOperations,
    layers: LayerOperations,
    painting: LayerPainting,
  ) {
    const notifyViewport = (): void => session.changed('viewport')
    const document = session.document
    this.tools = {
      pan: new PanTool(this.viewport, notifyViewport),
      brush: new MaskBrushTool('brush', mask),
      eraser: new MaskBrushTool('eraser', mask),
      'rect-mask': new RectMaskTool(mask),
      frame: new FrameTool({
        currentFrame: () => document.frame,
        maxFrameSide: () => Math.max(document.width, document.height),
        zoom: () => this.viewport.scale,
        previewFrame: (frame) => mask.setFrameSilently(frame),
        commitFrame: (before, after) => mask.commitFrameDrag(before, after),
      }),
      paint: new PaintTool(painting),
      move: new MoveTool({
        beginLayerMove: () => layers.beginLayerMove(),
        previewLayerMove: (offset) => layers.previewLayerMove(offset),
        commitLayerMove: () => layers.commitLayerMove(),
        cancelLayerMove: () => layers.cancelLayerMove(),
        transformBox: () => layers.transformBox,
        zoom: () => this.viewport.scale,
        maxScaledSide: () => 2 * Math.max(document.width, document.height),
        beginLayerScale: () => layers.beginLayerScale(),
        previewLayerScale: (box) => layers.previewLayerScale(box),
        commitLayerScale: () => layers.commitLayerScale(),
      }),
    }
    this.tool = this.tools.brush
  }

  get toolId(): ToolId {
    return this.tool.id
  }

  get toolState(): string {
    return this.temporaryPan
      ? `pan.${this.temporaryPan.state}`
      : `${this.tool.id}.${this.tool.state}`
  }

  /** The cursor the current tool asks for over `screen`; null for the default. */
  cursorAt(screen: Point): string | null {
    if (this.temporaryPan) return null
    return this.tool.cursorAt?.(this.viewport.toDocument(screen)) ?? null
  }

  setTool(id: ToolId): void {
    if (this.tool.id === id) return
    this.tool.cancel()
    this.tool = this.tools[id]
    this.session.changed('tool')
  }

  setBrushSize(size: number): void {
    const brush = this.mask.brush
    this.mask.brush = { ...brush, size: Math.min(Math.max(Math.round(size), 1), 1024) }
    this.session.changed('tool')
  }

  setBrushHardness(hardness: number): void {
    const brush = this.mask.brush
    this.mask.brush = { ...brush, hardness: Math.min(Math.max(hardness, 0), 1) }
    this.session.changed('tool')
  }

  pointerEvent(
    screen: Point,
    button: number,
    keys: { shiftKey?: boolean; altKey?: boolean; modKey?: boolean } = {},
  ): ToolPointerEvent {
    return {
      screen,
      document: this.viewport.toDocument(screen),
      button,
      shiftKey: keys.shiftKey ?? false,
      altKey: keys.altKey ?? false,
      modKey: keys.modKey ?? false,
    }
  }

  pointerDown(event: ToolPointerEvent): void {
    if (event.button === 1 || (this.spaceHeld && event.button === 0)) {
      this.temporaryPan = new PanTool(this.viewport, () => this.session.changed('viewport'))
      this.temporaryPan.pointerDown(event)
      this.session.changed('tool')
      return
    }
    this.tool.pointerDown(event)
    this.session.changed('tool')
  }

  pointerMove(event: ToolPointerEvent): void {
    if (this.temporaryPan) this.temporaryPan.pointerMove(event)
    else this.tool.pointerMove(event)
  }

  pointerUp(event: ToolPointerEvent): void {
    if (this.temporaryPan) {
      this.temporaryPan = null
      this.session.changed('tool')
      return
    }
    this.tool.pointerUp(event)
    this.session.changed('tool')
  }

  get isBusy(): boolean {
    return this.tool.state !== 'idle' || this.temporaryPan !== null
  }

  /** Abandons whatever the pointer was doing (Esc, undo mid-stroke, focus loss). */
  cancelInteraction(): boolean {
    const busy = this.isBusy
    this.tool.cancel()
    this.temporaryPan = null
    if (busy) this.session.changed('tool')
    return busy
  }

  zoomAt(screen: Point, factor: number): void {
    this.viewport.zoomAt(screen, factor)
    this.session.changed('viewport')
  }

  /** Zooms about the middle of the view (menu and toolbar zoom). */
  zoomBy(factor: number): void {
    this.zoomAt({ x: this.viewport.width / 2, y: this.viewport.height / 2 }, factor)
  }

  zoomToFit(): void {
    this.viewport.fit(this.session.document.width, this.session.document.height)
    this.session.changed('viewport')
  }

  zoomToActualSize(): void {
    this.viewport.actualSize(this.session.document.width, this.session.document.height)
    this.session.changed('viewport')
  }

  setViewportSize(width: number, height: number): void {
    this.viewport.setSize(width, height)
    this.session.changed('viewport')
  }
}
