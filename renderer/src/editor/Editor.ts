import type { ProjectData } from '../../../contract/documents'
import { compositeTile } from './compositing'
import type { Layer, RgbaImage } from './EditorDocument'
import { EditorDocument, newLayerId } from './EditorDocument'
import { autoFitFrame } from './frame'
import type { GenerationRequest, GenerationSettings } from './generation'
import {
  captureGenerationRequest,
  defaultFeatherRadius,
  generatedLayerName,
  generationInfo,
  resultLayerPixels,
} from './generation'
import type { Point, Rect } from './geometry'
import type { HistoryEntry, TileEdit } from './History'
import { History, TileEditRecorder, applyTiles, tileEditBytes } from './History'
import type { BrushSettings, MaskPaintMode } from './maskBrush'
import { dabCentresAlong, fillMaskRect, invertMask, stampDab } from './maskBrush'
import { documentFromProjectData, documentToProjectData } from './projectData'
import { shortcutFor } from './shortcuts'
import { FrameTool } from './tools/FrameTool'
import { MaskBrushTool } from './tools/MaskBrushTool'
import { PanTool } from './tools/PanTool'
import { RectMaskTool } from './tools/RectMaskTool'
import type { Tool, ToolId, ToolPointerEvent } from './tools/Tool'
import { tileSize } from './TiledRaster'
import { Viewport } from './Viewport'

/** What changed, so views redraw only what they must. */
export type EditorChange =
  'layers' | 'pixels' | 'mask' | 'frame' | 'viewport' | 'tool' | 'staging' | 'history' | 'accepted'

export type EditorListener = (changes: ReadonlySet<EditorChange>) => void

/** One candidate of a staged batch: the pixels of a would-be layer over the request's frame. */
export interface StagedCandidate {
  readonly rect: Rect
  readonly pixels: Uint8ClampedArray
  readonly batchIndex: number
}

export interface StagedBatch {
  readonly request: GenerationRequest
  readonly candidates: readonly StagedCandidate[]
  index: number
}

export interface KeyInput {
  readonly key: string
  readonly code?: string
  readonly ctrlKey?: boolean
  readonly metaKey?: boolean
  readonly shiftKey?: boolean
  readonly altKey?: boolean
  readonly repeat?: boolean
}

export const historyDepth = 200
export const maxLayers = 256

/**
 * The editor engine: owns the document, history, viewport, tools and staging. Plain TypeScript;
 * React views subscribe and call methods. Every document change goes through a history entry.
 */
export class Editor {
  readonly history = new History(historyDepth)
  readonly viewport = new Viewport()
  brush: BrushSettings = { size: 64, hardness: 0.8 }
  activeLayerId: string | null = null
  /** While true, mask edits re-fit the frame around the mask; moving the frame by hand stops it. */
  frameFollowsMask = true
  rectPreview: Rect | null = null
  readonly staging: StagedBatch[] = []
  /** Increases with every document change; compare with `savedRevision` for "unsaved changes". */
  revision = 0
  savedRevision = 0
  /** Increases with every notification; views use it as a snapshot version. */
  changeCount = 0

  private readonly listeners = new Set<EditorListener>()
  private pending = new Set<EditorChange>()
  private batchDepth = 0
  private readonly tools: Record<ToolId, Tool>
  private tool: Tool
  private temporaryPan: PanTool | null = null
  private spaceHeld = false
  private stroke: {
    recorder: TileEditRecorder
    last: Point
    mode: MaskPaintMode
    frame: Rect
  } | null = null
  private readonly compositeCache = new Map<number, Uint8ClampedArray | null>()
  private dirtyComposite = new Set<number>()
  private dirtyMask = new Set<number>()
  private allDirty = true
  private requestCounter = 0

  constructor(readonly document: EditorDocument) {
    const notifyViewport = (): void => this.changed('viewport')
    this.tools = {
      pan: new PanTool(this.viewport, notifyViewport),
      brush: new MaskBrushTool('brush', this),
      eraser: new MaskBrushTool('eraser', this),
      'rect-mask': new RectMaskTool(this),
      frame: new FrameTool(this.frameTarget()),
    }
    this.tool = this.tools.brush
    this.activeLayerId = document.layers.at(-1)?.id ?? null
  }

  static blank(width: number, height: number, title = 'Untitled'): Editor {
    const document = new EditorDocument(width, height, undefined, title)
    const editor = new Editor(document)
    const background = document.createLayer('Background')
    document.layers.push(background)
    editor.activeLayerId = background.id
    return editor
  }

  static fromImage(image: RgbaImage, title: string): Editor {
    const document = new EditorDocument(image.width, image.height, undefined, title)
    const layer = document.createLayer(title)
    layer.raster.writeRect({ x: 0, y: 0, width: image.width, height: image.height }, image.data)
    document.layers.push(layer)
    const editor = new Editor(document)
    editor.activeLayerId = layer.id
    return editor
  }

  // ── subscription ────────────────────────────────────────────────────────────

  subscribe(listener: EditorListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private changed(...changes: EditorChange[]): void {
    for (const change of changes) this.pending.add(change)
    if (this.batchDepth > 0) return
    const flushed = this.pending
    this.pending = new Set()
    this.changeCount += 1
    for (const listener of this.listeners) listener(flushed)
  }

  /** Runs `body` and notifies listeners once at the end. */
  batch<T>(body: () => T): T {
    this.batchDepth += 1
    try {
      return body()
    } finally {
      this.batchDepth -= 1
      if (this.batchDepth === 0 && this.pending.size > 0) this.changed()
    }
  }

  get isDirty(): boolean {
    return this.revision !== this.savedRevision
  }

  /** Records that the document as of `revision` (default: now) is saved. */
  markSaved(revision = this.revision): void {
    this.savedRevision = revision
  }

  private record(entry: HistoryEntry, alreadyApplied: boolean): void {
    if (alreadyApplied) this.history.push(entry)
    else this.history.execute(entry)
    this.changed('history')
  }

  /** Wraps an entry so that both directions bump the revision. */
  private entry(label: string, redo: () => void, undo: () => void): HistoryEntry {
    return {
      label,
      redo: () => {
        redo()
        this.revision += 1
      },
      undo: () => {
        undo()
        this.revision += 1
      },
    }
  }

  undo(): boolean {
    this.cancelInteraction()
    const entry = this.batch(() => this.history.undo())
    this.changed('history')
    return entry !== undefined
  }

  redo(): boolean {
    this.cancelInteraction()
    const entry = this.batch(() => this.history.redo())
    this.changed('history')
    return entry !== undefined
  }

  // ── dirty tracking for views ────────────────────────────────────────────────

  private invalidateLayerTiles(layer: Layer | null, keys?: Iterable<number>): void {
    if (!layer || keys === undefined) {
      this.allDirty = true
      this.compositeCache.clear()
    } else {
      for (const key of keys) {
        this.dirtyComposite.add(key)
        this.compositeCache.delete(key)
      }
    }
    this.changed('pixels')
  }

  private invalidateMask(keys?: Iterable<number>): void {
    if (keys === undefined) this.allDirty = true
    else for (const key of keys) this.dirtyMask.add(key)
    this.changed('mask')
  }

  /**
   * Tiles whose composite or mask changed since the last call. `all` means redraw everything
   * (after structural changes such as reordering or visibility).
   */
  takeDirtyTiles(): { all: boolean; composite: number[]; mask: number[] } {
    const result = {
      all: this.allDirty,
      composite: [...this.dirtyComposite],
      mask: [...this.dirtyMask],
    }
    this.allDirty = false
    this.dirtyComposite.clear()
    this.dirtyMask.clear()
    return result
  }

  /**
   * The composite of the visible layers for one tile; null when fully transparent. Views that keep
   * their own bitmap per tile pass `cache: false` so the pixels are not held twice.
   */
  compositeTileAt(
    key: number,
    options: { cache?: boolean; into?: Uint8ClampedArray } = {},
  ): Uint8ClampedArray | null {
    const cached = this.compositeCache.get(key)
    if (cached !== undefined) return cached
    const out = options.into ?? new Uint8ClampedArray(tileSize * tileSize * 4)
    const result = compositeTile(this.document.layers, key, out) ? out : null
    if (options.cache !== false)
      this.compositeCache.set(key, options.into && result ? result.slice() : result)
    return result
  }

  // ── layers ─────────────────────────────────────────────────────────────────

  get layers(): readonly Layer[] {
    return this.document.layers
  }

  get activeLayer(): Layer | undefined {
    return this.activeLayerId ? this.document.getLayer(this.activeLayerId) : undefined
  }

  selectLayer(id: string): void {
    if (!this.document.getLayer(id)) return
    this.activeLayerId = id
    this.changed('layers')
  }

  private insertLayer(layer: Layer, index: number): void {
    this.document.layers.splice(index, 0, layer)
    this.activeLayerId = layer.id
    this.invalidateLayerTiles(null)
    this.changed('layers')
  }

  private removeLayer(id: string): void {
    const index = this.document.layerIndex(id)
    if (index < 0) return
    this.document.layers.splice(index, 1)
    if (this.activeLayerId === id) {
      this.activeLayerId =
        this.document.layers[Math.min(index, this.document.layers.length - 1)]?.id ?? null
    }
    this.invalidateLayerTiles(null)
    this.changed('layers')
  }

  /** How many more layers the document can take (the project format holds at most 256). */
  get layerRoom(): number {
    return maxLayers - this.document.layers.length
  }

  private ensureLayerRoom(count: number): void {
    if (count > this.layerRoom)
      throw new RangeError(`A document holds at most ${maxLayers} layers.`)
  }

  private addLayerObject(layer: Layer, label: string, index = this.insertionIndex()): void {
    this.ensureLayerRoom(1)
    const previousActive = this.activeLayerId
    this.record(
      this.entry(
        label,
        () => this.insertLayer(layer, index),
        () => {
          this.removeLayer(layer.id)
          this.activeLayerId = previousActive
        },
      ),
      false,
    )
  }

  private insertionIndex(): number {
    const active = this.activeLayerId ? this.document.layerIndex(this.activeLayerId) : -1
    return active < 0 ? this.document.layers.length : active + 1
  }

  addLayer(name = `Layer ${this.document.layers.length + 1}`): Layer {
    const layer = this.document.createLayer(name)
    this.addLayerObject(layer, 'Add layer')
    return layer
  }

  /** A new layer holding `image` with its top-left corner at `at` (default: centred). */
  addImageLayer(image: RgbaImage, name: string, at?: Point): Layer {
    const layer = this.document.createLayer(name)
    const x = Math.round(at ? at.x : (this.document.width - image.width) / 2)
    const y = Math.round(at ? at.y : (this.document.height - image.height) / 2)
    layer.raster.writeRect({ x, y, width: image.width, height: image.height }, image.data)
    this.addLayerObject(layer, 'Import image', this.document.layers.length)
    return layer
  }

  deleteLayer(id: string): boolean {
    const index = this.document.layerIndex(id)
    const layer = this.document.layers[index]
    if (!layer || layer.locked) return false
    this.record(
      this.entry(
        'Delete layer',
        () => this.removeLayer(id),
        () => this.insertLayer(layer, index),
      ),
      false,
    )
    return true
  }

  duplicateLayer(id: string): Layer | undefined {
    const index = this.document.layerIndex(id)
    const source = this.document.layers[index]
    if (!source) return undefined
    const copy: Layer = {
      ...source,
      id: newLayerId(),
      name: `${source.name} copy`,
      locked: false,
      raster: source.raster.clone(),
    }
    this.addLayerObject(copy, 'Duplicate layer', index + 1)
    return copy
  }

  private setLayerProperty<K extends 'name' | 'visible' | 'opacity' | 'locked'>(
    id: string,
    key: K,
    value: Layer[K],
    label: string,
  ): boolean {
    const layer = this.document.getLayer(id)
    if (!layer || layer[key] === value) return false
    const before = layer[key]
    const affectsPixels = key === 'visible' || key === 'opacity'
    const apply = (next: Layer[K]): void => {
      layer[key] = next
      if (affectsPixels) this.invalidateLayerTiles(null)
      this.changed('layers')
    }
    this.record(
      this.entry(
        label,
        () => apply(value),
        () => apply(before),
      ),
      false,
    )
    return true
  }

  renameLayer(id: string, name: string): boolean {
    const trimmed = name.trim().slice(0, 200)
    return trimmed.length > 0 && this.setLayerProperty(id, 'name', trimmed, 'Rename layer')
  }

  setLayerVisible(id: string, visible: boolean): boolean {
    return this.setLayerProperty(id, 'visible', visible, visible ? 'Show layer' : 'Hide layer')
  }

  setLayerOpacity(id: string, opacity: number): boolean {
    const clamped = Math.min(Math.max(opacity, 0), 1)
    return this.setLayerProperty(id, 'opacity', clamped, 'Layer opacity')
  }

  setLayerLocked(id: string, locked: boolean): boolean {
    return this.setLayerProperty(id, 'locked', locked, locked ? 'Lock layer' : 'Unlock layer')
  }

  /** Moves a layer to `toIndex` (0 = bottom). Locked layers stay where they are. */
  moveLayer(id: string, toIndex: number): boolean {
    const from = this.document.layerIndex(id)
    const layer = this.document.layers[from]
    const to = Math.min(Math.max(Math.round(toIndex), 0), this.document.layers.length - 1)
    if (!layer || layer.locked || from === to) return false
    const move = (a: number, b: number): void => {
      const [moved] = this.document.layers.splice(a, 1)
      if (moved) this.document.layers.splice(b, 0, moved)
      this.invalidateLayerTiles(null)
      this.changed('layers')
    }
    this.record(
      this.entry(
        'Reorder layers',
        () => move(from, to),
        () => move(to, from),
      ),
      false,
    )
    return true
  }

  // ── mask ───────────────────────────────────────────────────────────────────

  private maskEntry(
    label: string,
    edit: TileEdit,
    frameBefore: Rect,
    frameAfter: Rect,
  ): HistoryEntry {
    const entry = this.entry(
      label,
      () => {
        this.invalidateMask(applyTiles(edit.raster, edit.after))
        this.setFrameSilently(frameAfter)
      },
      () => {
        this.invalidateMask(applyTiles(edit.raster, edit.before))
        this.setFrameSilently(frameBefore)
      },
    )
    return { ...entry, bytes: tileEditBytes(edit) }
  }

  beginMaskStroke(point: Point, mode: MaskPaintMode): void {
    this.cancelMaskStroke()
    const recorder = new TileEditRecorder(this.document.mask)
    this.stroke = { recorder, last: point, mode, frame: this.document.frame }
    this.invalidateMask(stampDab(this.document.mask, recorder, point, this.brush, mode))
  }

  continueMaskStroke(point: Point): void {
    const stroke = this.stroke
    if (!stroke) return
    const touched = new Set<number>()
    for (const centre of dabCentresAlong(stroke.last, point, this.brush.size)) {
      for (const key of stampDab(
        this.document.mask,
        stroke.recorder,
        centre,
        this.brush,
        stroke.mode,
      )) {
        touched.add(key)
      }
    }
    stroke.last = point
    this.invalidateMask(touched)
  }

  endMaskStroke(): void {
    const stroke = this.stroke
    if (!stroke) return
    this.stroke = null
    const edit = stroke.recorder.finish()
    const frameAfter = this.fittedFrame() ?? stroke.frame
    this.setFrameSilently(frameAfter)
    this.revision += 1
    this.record(
      this.maskEntry(stroke.mode === 'paint' ? 'Brush' : 'Eraser', edit, stroke.frame, frameAfter),
      true,
    )
  }

  cancelMaskStroke(): void {
    const stroke = this.stroke
    if (!stroke) return
    this.stroke = null
    this.invalidateMask(applyTiles(this.document.mask, stroke.recorder.finish().before))
  }

  get isStroking(): boolean {
    return this.stroke !== null
  }

  fillMaskRect(rect: Rect, mode: MaskPaintMode = 'paint'): void {
    const recorder = new TileEditRecorder(this.document.mask)
    const frameBefore = this.document.frame
    this.invalidateMask(fillMaskRect(this.document.mask, recorder, rect, mode))
    const frameAfter = this.fittedFrame() ?? frameBefore
    this.setFrameSilently(frameAfter)
    this.revision += 1
    this.record(this.maskEntry('Rectangle mask', recorder.finish(), frameBefore, frameAfter), true)
  }

  setRectPreview(rect: Rect | null): void {
    this.rectPreview = rect
    this.changed('tool')
  }

  invertMask(): void {
    const frameBefore = this.document.frame
    const invert = (): void => {
      invertMask(this.document.mask)
      this.invalidateMask()
    }
    invert()
    const frameAfter = this.fittedFrame() ?? frameBefore
    this.setFrameSilently(frameAfter)
    this.revision += 1
    this.record(
      this.entry(
        'Invert mask',
        () => {
          invert()
          this.setFrameSilently(frameAfter)
        },
        () => {
          invert()
          this.setFrameSilently(frameBefore)
        },
      ),
      true,
    )
  }

  clearMask(): void {
    const mask = this.document.mask
    const keys = mask.allocatedTileKeys()
    if (keys.length === 0) return
    const recorder = new TileEditRecorder(mask)
    recorder.touch(keys)
    mask.clear()
    this.invalidateMask()
    this.revision += 1
    const frame = this.document.frame
    this.record(this.maskEntry('Clear mask', recorder.finish(), frame, frame), true)
  }

  /** Bounds of the painted mask, or null when nothing is painted. */
  maskBounds(): Rect | null {
    return this.document.mask.contentBounds()
  }

  // ── generation frame ───────────────────────────────────────────────────────

  private fittedFrame(): Rect | null {
    if (!this.frameFollowsMask) return null
    const bounds = this.maskBounds()
    return bounds ? autoFitFrame(bounds, this.document) : null
  }

  private setFrameSilently(frame: Rect): void {
    this.document.frame = frame
    this.changed('frame')
  }

  /** Re-fits the frame around the mask (and makes it follow the mask again). */
  fitFrameToMask(): void {
    const bounds = this.maskBounds()
    if (!bounds) return
    this.frameFollowsMask = true
    this.setFrame(autoFitFrame(bounds, this.document), 'Fit frame')
  }

  setFrame(frame: Rect, label = 'Move frame'): void {
    const before = this.document.frame
    if (sameRect(before, frame)) return
    this.record(
      this.entry(
        label,
        () => this.setFrameSilently(frame),
        () => this.setFrameSilently(before),
      ),
      false,
    )
  }

  private frameTarget(): ConstructorParameters<typeof FrameTool>[0] {
    return {
      currentFrame: () => this.document.frame,
      maxFrameSide: () => Math.max(this.document.width, this.document.height),
      zoom: () => this.viewport.scale,
      previewFrame: (frame) => this.setFrameSilently(frame),
      commitFrame: (before, after) => {
        this.setFrameSilently(before)
        this.frameFollowsMask = false
        this.setFrame(after, 'Move frame')
      },
    }
  }

  // ── tools and input ────────────────────────────────────────────────────────

  get toolId(): ToolId {
    return this.tool.id
  }

  get toolState(): string {
    return this.temporaryPan
      ? `pan.${this.temporaryPan.state}`
      : `${this.tool.id}.${this.tool.state}`
  }

  setTool(id: ToolId): void {
    if (this.tool.id === id) return
    this.tool.cancel()
    this.tool = this.tools[id]
    this.changed('tool')
  }

  setBrushSize(size: number): void {
    this.brush = { ...this.brush, size: Math.min(Math.max(Math.round(size), 1), 1024) }
    this.changed('tool')
  }

  setBrushHardness(hardness: number): void {
    this.brush = { ...this.brush, hardness: Math.min(Math.max(hardness, 0), 1) }
    this.changed('tool')
  }

  pointerEvent(
    screen: Point,
    button: number,
    keys: { shiftKey?: boolean; altKey?: boolean } = {},
  ): ToolPointerEvent {
    return {
      screen,
      document: this.viewport.toDocument(screen),
      button,
      shiftKey: keys.shiftKey ?? false,
      altKey: keys.altKey ?? false,
    }
  }

  pointerDown(event: ToolPointerEvent): void {
    if (event.button === 1 || (this.spaceHeld && event.button === 0)) {
      this.temporaryPan = new PanTool(this.viewport, () => this.changed('viewport'))
      this.temporaryPan.pointerDown(event)
      this.changed('tool')
      return
    }
    this.tool.pointerDown(event)
    this.changed('tool')
  }

  pointerMove(event: ToolPointerEvent): void {
    if (this.temporaryPan) this.temporaryPan.pointerMove(event)
    else this.tool.pointerMove(event)
  }

  pointerUp(event: ToolPointerEvent): void {
    if (this.temporaryPan) {
      this.temporaryPan = null
      this.changed('tool')
      return
    }
    this.tool.pointerUp(event)
    this.changed('tool')
  }

  /** Abandons whatever the pointer was doing (Esc, undo mid-stroke, focus loss). */
  cancelInteraction(): boolean {
    const busy = this.tool.state !== 'idle' || this.temporaryPan !== null
    this.tool.cancel()
    this.temporaryPan = null
    if (busy) this.changed('tool')
    return busy
  }

  zoomAt(screen: Point, factor: number): void {
    this.viewport.zoomAt(screen, factor)
    this.changed('viewport')
  }

  zoomToFit(): void {
    this.viewport.fit(this.document.width, this.document.height)
    this.changed('viewport')
  }

  zoomToActualSize(): void {
    this.viewport.actualSize(this.document.width, this.document.height)
    this.changed('viewport')
  }

  setViewportSize(width: number, height: number): void {
    this.viewport.setSize(width, height)
    this.changed('viewport')
  }

  /** Keyboard shortcuts; returns true when the key was used (the view then prevents default). */
  keyDown(input: KeyInput): boolean {
    if (input.key === ' ' || input.code === 'Space') {
      this.spaceHeld = true
      return true
    }
    const action = shortcutFor(input)
    if (!action) return false
    switch (action) {
      case 'undo':
        this.undo()
        return true
      case 'redo':
        this.redo()
        return true
      case 'brush-smaller':
        this.setBrushSize(this.brush.size / 1.2)
        return true
      case 'brush-larger':
        this.setBrushSize(Math.max(this.brush.size + 1, this.brush.size * 1.2))
        return true
      case 'tool-brush':
        this.setTool('brush')
        return true
      case 'tool-eraser':
        this.setTool('eraser')
        return true
      case 'tool-rect':
        this.setTool('rect-mask')
        return true
      case 'tool-frame':
        this.setTool('frame')
        return true
      case 'tool-pan':
        this.setTool('pan')
        return true
      case 'zoom-fit':
        this.zoomToFit()
        return true
      case 'zoom-100':
        this.zoomToActualSize()
        return true
      case 'invert-mask':
        this.invertMask()
        return true
      case 'clear-mask':
        this.clearMask()
        return true
      case 'staging-previous':
        return this.browseStaged(-1)
      case 'staging-next':
        return this.browseStaged(1)
      case 'accept':
        return this.acceptStaged()
      case 'escape':
        return this.cancelInteraction() || this.discardStaged()
    }
  }

  keyUp(input: KeyInput): void {
    if (input.key === ' ' || input.code === 'Space') this.spaceHeld = false
  }

  // ── generation and staging ─────────────────────────────────────────────────

  /**
   * Captures a job's inputs now (canvas, mask, frame, settings), so the user can keep editing
   * while it waits in the queue.
   */
  captureGeneration(settings: GenerationSettings, modelSide = 256): GenerationRequest {
    this.requestCounter += 1
    const id = `${this.document.id}-job-${this.requestCounter}`
    return captureGenerationRequest(id, this.document, this.document.frame, settings, modelSide)
  }

  /** Shows a finished batch in place (queued behind any batch already staged). */
  stageResults(request: GenerationRequest, images: readonly RgbaImage[]): void {
    if (request.documentId !== this.document.id || images.length === 0) return
    const feather = defaultFeatherRadius(request.frame, request.settings.mode)
    const candidates = images.map((image, batchIndex) => ({
      rect: request.frame,
      pixels: resultLayerPixels(image, request.frame, request.frameMask, feather),
      batchIndex,
    }))
    this.staging.push({ request, candidates, index: 0 })
    this.changed('staging')
  }

  get stagedBatch(): StagedBatch | undefined {
    return this.staging[0]
  }

  get stagedCandidate(): StagedCandidate | undefined {
    const batch = this.staging[0]
    return batch?.candidates[batch.index]
  }

  browseStaged(step: number): boolean {
    const batch = this.staging[0]
    if (!batch) return false
    const count = batch.candidates.length
    batch.index = (((batch.index + step) % count) + count) % count
    this.changed('staging')
    return true
  }

  private candidateLayer(batch: StagedBatch, candidate: StagedCandidate, visible: boolean): Layer {
    const layer = this.document.createLayer(generatedLayerName(batch.request.settings))
    layer.visible = visible
    layer.generation = generationInfo(batch.request, candidate.batchIndex)
    layer.raster.writeRect(candidate.rect, candidate.pixels)
    return layer
  }

  private stagingEntry(label: string, batch: StagedBatch, layers: Layer[]): HistoryEntry {
    const previousActive = this.activeLayerId
    const index = batch.index
    const at = this.document.layers.length
    return this.entry(
      label,
      () => {
        const position = this.staging.indexOf(batch)
        if (position >= 0) this.staging.splice(position, 1)
        layers.forEach((layer, offset) => this.insertLayer(layer, at + offset))
        this.changed('staging', 'accepted')
      },
      () => {
        for (const layer of layers) this.removeLayer(layer.id)
        batch.index = index
        this.staging.unshift(batch)
        this.activeLayerId = previousActive
        this.changed('staging')
      },
    )
  }

  /** Enter: the shown candidate becomes a new layer on top. */
  acceptStaged(): boolean {
    const batch = this.staging[0]
    const candidate = batch?.candidates[batch.index]
    if (!batch || !candidate || this.layerRoom < 1) return false
    this.record(
      this.stagingEntry('Accept', batch, [this.candidateLayer(batch, candidate, true)]),
      false,
    )
    return true
  }

  /** Every candidate becomes a hidden layer, to compare by toggling them. */
  acceptAllStaged(): boolean {
    const batch = this.staging[0]
    if (!batch || this.layerRoom < batch.candidates.length) return false
    const layers = batch.candidates.map((candidate) => this.candidateLayer(batch, candidate, false))
    this.record(this.stagingEntry('Accept all', batch, layers), false)
    return true
  }

  /** Esc: drops the staged batch (undo brings it back). */
  discardStaged(): boolean {
    const batch = this.staging[0]
    if (!batch) return false
    this.record(this.stagingEntry('Discard', batch, []), false)
    return true
  }

  // ── projects ───────────────────────────────────────────────────────────────

  /** The document as the contract carries it: each layer's pixels cropped to their content. */
  toProjectData(): ProjectData {
    return documentToProjectData(this.document)
  }

  static fromProjectData(project: ProjectData): Editor {
    const editor = new Editor(documentFromProjectData(project))
    editor.frameFollowsMask = false
    return editor
  }
}

function sameRect(a: Rect, b: Rect): boolean {
  return a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height
}
