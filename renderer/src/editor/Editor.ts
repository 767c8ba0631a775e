import type { GenerationInfo, ProjectData } from '../../../contract/documents'
import type { GenerationMode } from '../../../contract/generation'
import type { ToolSettings } from '../../../contract/settings'
import { defaultFrame } from '../../../imaging/region'
import { ActionRegistry } from './actions'
import type { Layer, RgbaImage } from './EditorDocument'
import { EditorDocument, keptName } from './EditorDocument'
import { generationModeOf, type GenerationRequest, type GenerationSettings } from './generation'
import type { Point, Rect } from './geometry'
import type { BrushSettings, MaskPaintMode } from './maskBrush'
import { hexOfRgb, rgbOfHex, type Rgb } from './paintBrush'
import type { CanvasAnchor, CanvasSide } from './parts/CanvasOperations'
import { CanvasOperations } from './parts/CanvasOperations'
import type { EditorListener } from './parts/ChangeNotifier'
import { EditSession } from './parts/EditSession'
import { GenerationRequests } from './parts/GenerationRequests'
import { LayerOperations } from './parts/LayerOperations'
import { LayerPainting } from './parts/LayerPainting'
import { MaskOperations } from './parts/MaskOperations'
import type { StagedBatch, StagedCandidate } from './parts/Staging'
import { Staging } from './parts/Staging'
import type { DirtyTiles, TileCompositeRequest } from './parts/RenderCache'
import { ToolInput } from './parts/ToolInput'
import { documentFromProjectData, documentToProjectData } from './projectData'
import type { ToolId, ToolPointerEvent } from './tools/Tool'

export type { EditorChange, EditorListener } from './parts/ChangeNotifier'
export type { StagedBatch, StagedCandidate } from './parts/Staging'
export type { CanvasAnchor, CanvasSide } from './parts/CanvasOperations'
export { historyDepth, maxLayers } from './parts/EditSession'

export interface KeyInput {
  readonly key: string
  readonly code?: string
  readonly ctrlKey?: boolean
  readonly metaKey?: boolean
  readonly shiftKey?: boolean
  readonly altKey?: boolean
  readonly repeat?: boolean
}

/**
 * The editor engine's one entry point for views. It only delegates: each part (parts/) has one
 * job: {@link EditSession} shared state and history recording, {@link LayerOperations},
 * {@link LayerPainting} (the Paint tool's strokes), {@link MaskOperations} (mask and frame),
 * {@link CanvasOperations} (canvas size, crop),
 * {@link Staging} (finished generations waiting on the canvas), {@link GenerationRequests},
 * {@link ToolInput} (tools, pointer, viewport) and the {@link ActionRegistry} (every command with
 * its label and keys). Plain TypeScript; React views subscribe and call methods.
 */
export class Editor {
  readonly actions: ActionRegistry
  private readonly session: EditSession
  private readonly layerOps: LayerOperations
  private readonly maskOps: MaskOperations
  private readonly painting: LayerPainting
  private readonly canvasOps: CanvasOperations
  private readonly stagingArea: Staging
  private readonly requests: GenerationRequests
  private readonly input: ToolInput

  constructor(readonly document: EditorDocument) {
    this.session = new EditSession(document)
    this.layerOps = new LayerOperations(this.session)
    this.maskOps = new MaskOperations(this.session)
    this.painting = new LayerPainting(this.session, () => this.maskOps.brush)
    this.requests = new GenerationRequests(this.session)
    this.stagingArea = new Staging(this.session, (id) => this.requests.shiftSince(id))
    this.canvasOps = new CanvasOperations(this.session, (dx, dy) => this.stagingArea.shift(dx, dy))
    this.input = new ToolInput(this.session, this.maskOps, this.layerOps, this.painting)
    this.actions = new ActionRegistry(this)
  }

  static blank(width: number, height: number, title = 'Untitled'): Editor {
    const document = new EditorDocument(width, height, undefined, title)
    document.layers.push(document.createLayer('Background'))
    return new Editor(document)
  }

  static fromImage(image: RgbaImage, title: string): Editor {
    const document = new EditorDocument(image.width, image.height, undefined, title)
    const layer = document.createLayer(title)
    layer.raster.writeRect({ x: 0, y: 0, width: image.width, height: image.height }, image.data)
    document.layers.push(layer)
    return new Editor(document)
  }

  /**
   * A saved frame somewhere else than a new document's was placed (by hand or around a mask) and
   * stays where it is; a frame at the default place (an opened picture, a project never masked)
   * follows the mask like a new document's, so the first mask drawn is inside it.
   */
  static fromProjectData(project: ProjectData): Editor {
    const editor = new Editor(documentFromProjectData(project))
    const fresh = defaultFrame(project)
    const { frame } = project
    editor.frameFollowsMask =
      frame.x === fresh.x &&
      frame.y === fresh.y &&
      frame.width === fresh.width &&
      frame.height === fresh.height
    return editor
  }

  /** The document as the contract carries it: each layer's pixels cropped to their content. */
  toProjectData(): ProjectData {
    return documentToProjectData(this.document)
  }

  // ── state, subscription, history ────────────────────────────────────────────

  get history() {
    return this.session.history
  }

  get revision(): number {
    return this.session.revision
  }

  set revision(value: number) {
    this.session.revision = value
  }

  get savedRevision(): number {
    return this.session.savedRevision
  }

  set savedRevision(value: number) {
    this.session.savedRevision = value
  }

  /** Increases with every notification; views use it as a snapshot version. */
  get changeCount(): number {
    return this.session.notifier.changeCount
  }

  get isDirty(): boolean {
    return this.session.revision !== this.session.savedRevision
  }

  /**
   * Records that the document as of `revision` (default: now) is saved, under `savedAs` when the
   * person chose a file name (the document takes that name).
   */
  markSaved(revision = this.session.revision, savedAs?: string): void {
    this.session.savedRevision = revision
    const name = savedAs === undefined ? '' : keptName(savedAs)
    if (name) this.document.title = name
    this.session.changed('saved', ...(name ? (['title'] as const) : []))
  }

  /**
   * What Copy puts on the clipboard: the staged result on view, else the active layer, or with
   * `merged` the visible layers flattened; trimmed to what they hold. Null when that is nothing.
   */
  imageToCopy(merged: boolean): { image: RgbaImage; name: string } | null {
    if (merged) {
      const image = this.layerOps.visibleImage()
      return image && { image, name: this.document.title }
    }
    if (this.stagingArea.currentCandidate) return this.stagingArea.currentImage
    const layer = this.activeLayer
    const image = layer ? this.layerOps.layerImage(layer.id) : null
    return layer && image ? { image, name: layer.name } : null
  }

  /**
   * Names the document (its files' suggested names). A change to save, but not an undo step: undo
   * stays with the picture. Blank names are refused.
   */
  renameDocument(name: string): boolean {
    const title = keptName(name)
    if (!title || title === this.document.title) return false
    this.document.title = title
    this.session.revision += 1
    this.session.changed('title')
    return true
  }

  subscribe(listener: EditorListener): () => void {
    return this.session.notifier.subscribe(listener)
  }

  /** Runs `body` and notifies listeners once at the end. */
  batch<T>(body: () => T): T {
    return this.session.notifier.batch(body)
  }

  /** App actions were bound or unbound: panels re-read which actions are enabled. */
  notifyActionsChanged(): void {
    this.session.changed('display')
  }

  undo(): boolean {
    this.cancelInteraction()
    const entry = this.batch(() => this.session.history.undo())
    this.session.changed('history')
    return entry !== undefined
  }

  redo(): boolean {
    this.cancelInteraction()
    const entry = this.batch(() => this.session.history.redo())
    this.session.changed('history')
    return entry !== undefined
  }

  /** The history's steps, oldest first (see History.steps), and whether the oldest were dropped. */
  get historySteps(): {
    readonly done: readonly string[]
    readonly undone: readonly string[]
    readonly droppedOldest: boolean
  } {
    const history = this.session.history
    return { ...history.steps, droppedOldest: history.droppedOldest }
  }

  /**
   * Undoes or redoes until `done` steps are done (0: as far back as the history reaches), as one
   * change for views; false for a step that does not exist.
   */
  goToHistoryStep(done: number): boolean {
    const history = this.session.history
    const steps = history.undoDepth + history.redoDepth
    if (!Number.isInteger(done) || done < 0 || done > steps) return false
    this.cancelInteraction()
    this.batch(() => {
      while (history.undoDepth > done) history.undo()
      while (history.undoDepth < done) history.redo()
      this.session.changed('history')
    })
    return true
  }

  // ── what views draw ─────────────────────────────────────────────────────────

  takeDirtyTiles(): DirtyTiles {
    return this.session.renderCache.takeDirtyTiles()
  }

  compositeTileAt(key: number, options: TileCompositeRequest = {}): Uint8ClampedArray | null {
    return this.session.renderCache.compositeTileAt(key, options)
  }

  /** A small RGBA picture of a layer for the layers panel (longer side `maxSide`). */
  layerThumbnail(id: string, maxSide = 40): RgbaImage | undefined {
    const layer = this.document.getLayer(id)
    return layer ? this.session.renderCache.layerThumbnail(layer, maxSide) : undefined
  }

  get maskOverlayVisible(): boolean {
    return this.maskOps.maskOverlayVisible
  }

  setMaskOverlayVisible(visible: boolean): void {
    this.maskOps.setMaskOverlayVisible(visible)
  }

  // ── layers ─────────────────────────────────────────────────────────────────

  get layers(): readonly Layer[] {
    return this.document.layers
  }

  get activeLayerId(): string | null {
    return this.session.activeLayerId
  }

  set activeLayerId(id: string | null) {
    this.session.activeLayerId = id
  }

  get activeLayer(): Layer | undefined {
    return this.session.activeLayer
  }

  get layerRoom(): number {
    return this.session.layerRoom
  }

  selectLayer(id: string): void {
    this.layerOps.selectLayer(id)
  }

  addLayer(name?: string): Layer {
    return this.layerOps.addLayer(name)
  }

  addImageLayer(image: RgbaImage, name: string, at?: Point, generation?: GenerationInfo): Layer {
    return this.layerOps.addImageLayer(image, name, at, generation)
  }

  deleteLayer(id: string): boolean {
    return this.layerOps.deleteLayer(id)
  }

  duplicateLayer(id: string): Layer | undefined {
    return this.layerOps.duplicateLayer(id)
  }

  renameLayer(id: string, name: string): boolean {
    return this.layerOps.renameLayer(id, name)
  }

  setLayerVisible(id: string, visible: boolean): boolean {
    return this.layerOps.setLayerVisible(id, visible)
  }

  setLayerOpacity(id: string, opacity: number): boolean {
    return this.layerOps.setLayerOpacity(id, opacity)
  }

  setLayerLocked(id: string, locked: boolean): boolean {
    return this.layerOps.setLayerLocked(id, locked)
  }

  moveLayer(id: string, toIndex: number): boolean {
    return this.layerOps.moveLayer(id, toIndex)
  }

  mergeDownTarget(id = this.activeLayerId): Layer | undefined {
    return this.layerOps.mergeDownTarget(id)
  }

  mergeDown(id = this.activeLayerId): boolean {
    return this.layerOps.mergeDown(id)
  }

  get canFlatten(): boolean {
    return this.layerOps.canFlatten
  }

  flatten(): boolean {
    return this.layerOps.flatten()
  }

  /** The layer the Move tool and nudges act on: the active one, unless locked. */
  get movableLayer(): Layer | undefined {
    return this.layerOps.movableLayer
  }

  /** Where the Move tool's scale handles sit: the active layer's content, or the box it is dragged to. */
  get layerTransformBox(): Rect | null {
    return this.layerOps.transformBox
  }

  /** Moves the active layer's pixels by whole pixels, as one undoable step. */
  nudgeLayer(dx: number, dy: number): boolean {
    return this.layerOps.nudgeLayer(dx, dy)
  }

  // ── canvas ─────────────────────────────────────────────────────────────────

  /** New canvas size; the old picture's top-left corner lands at `offset`. */
  resizeCanvas(width: number, height: number, offset: Point): boolean {
    return this.canvasOps.resizeCanvas(width, height, offset)
  }

  /** New canvas size with the picture placed at `anchor`; new space is transparent. */
  resizeCanvasAnchored(width: number, height: number, anchor?: CanvasAnchor): boolean {
    return this.canvasOps.resizeCanvasAnchored(width, height, anchor)
  }

  /** Room to outpaint on one side, the frame over it and the picture's edge (one undo step). */
  extendCanvas(side: CanvasSide): boolean {
    return this.canvasOps.extendCanvas(side)
  }

  canExtend(side: CanvasSide): boolean {
    return this.canvasOps.canExtend(side)
  }

  cropTo(rect: Rect): boolean {
    return this.canvasOps.cropTo(rect)
  }

  cropToFrame(): boolean {
    return this.canvasOps.cropToFrame()
  }

  // ── painting on a layer ────────────────────────────────────────────────────

  /** The Paint tool's colour. */
  get paintColour(): Rgb {
    return this.painting.colour
  }

  setPaintColour(colour: Rgb): void {
    this.painting.setColour(colour)
  }

  /**
   * Takes the Paint colour from the visible layers at `point` (what the canvas shows); false where
   * they are transparent, which leaves the colour as it was.
   */
  pickPaintColour(point: Point): boolean {
    return this.painting.pickPaintColour(point)
  }

  /** Fills the masked part of the active layer with the Paint colour (one undoable step). */
  fillMaskWithColour(): boolean {
    return this.painting.fillMask()
  }

  /** Why the Paint tool would change nothing now, in words; null when it can paint. */
  get paintRefusal(): string | null {
    return this.painting.refusal
  }

  // ── mask and frame ─────────────────────────────────────────────────────────

  get brush(): BrushSettings {
    return this.maskOps.brush
  }

  set brush(brush: BrushSettings) {
    this.maskOps.brush = brush
  }

  get frameFollowsMask(): boolean {
    return this.maskOps.frameFollowsMask
  }

  set frameFollowsMask(follows: boolean) {
    this.maskOps.frameFollowsMask = follows
  }

  get rectPreview(): Rect | null {
    return this.maskOps.rectPreview
  }

  beginMaskStroke(point: Point, mode: MaskPaintMode): void {
    this.maskOps.beginMaskStroke(point, mode)
  }

  continueMaskStroke(point: Point): void {
    this.maskOps.continueMaskStroke(point)
  }

  endMaskStroke(): void {
    this.maskOps.endMaskStroke()
  }

  cancelMaskStroke(): void {
    this.maskOps.cancelMaskStroke()
  }

  get isStroking(): boolean {
    return this.maskOps.isStroking
  }

  fillMaskRect(rect: Rect, mode: MaskPaintMode = 'paint'): void {
    this.maskOps.fillMaskRect(rect, mode)
  }

  setRectPreview(rect: Rect | null): void {
    this.maskOps.setRectPreview(rect)
  }

  invertMask(): void {
    this.maskOps.invertMask()
  }

  clearMask(): void {
    this.maskOps.clearMask()
  }

  maskBounds(): Rect | null {
    return this.maskOps.maskBounds()
  }

  fitFrameToMask(): void {
    this.maskOps.fitFrameToMask()
  }

  setFrame(frame: Rect, label?: string): void {
    this.maskOps.setFrame(frame, label)
  }

  // ── tools, pointer, keyboard, viewport ─────────────────────────────────────

  get viewport() {
    return this.input.viewport
  }

  get toolId(): ToolId {
    return this.input.toolId
  }

  get toolState(): string {
    return this.input.toolState
  }

  /** True while a drag, stroke or pan is under way. */
  get isInteracting(): boolean {
    return this.input.isBusy
  }

  setTool(id: ToolId): void {
    this.input.setTool(id)
  }

  /** The CSS cursor the tool asks for over a screen point (a scale handle, say); null: default. */
  cursorAt(screen: Point): string | null {
    return this.input.cursorAt(screen)
  }

  setBrushSize(size: number): void {
    this.input.setBrushSize(size)
  }

  setBrushHardness(hardness: number): void {
    this.input.setBrushHardness(hardness)
  }

  /** The tool options a person expects back next session: brush size, hardness, Paint colour. */
  get toolSettings(): ToolSettings {
    return {
      brushSize: this.brush.size,
      brushHardness: this.brush.hardness,
      paintColour: hexOfRgb(this.paintColour),
    }
  }

  /** Sets the tool options (remembered ones, say) through the same limits as the toolbar's. */
  applyToolSettings(settings: Partial<ToolSettings>): void {
    this.session.notifier.batch(() => {
      if (settings.brushSize !== undefined) this.setBrushSize(settings.brushSize)
      if (settings.brushHardness !== undefined) this.setBrushHardness(settings.brushHardness)
      const colour = settings.paintColour === undefined ? null : rgbOfHex(settings.paintColour)
      if (colour) this.setPaintColour(colour)
    })
  }

  pointerEvent(
    screen: Point,
    button: number,
    keys: { shiftKey?: boolean; altKey?: boolean; modKey?: boolean } = {},
  ): ToolPointerEvent {
    return this.input.pointerEvent(screen, button, keys)
  }

  pointerDown(event: ToolPointerEvent): void {
    this.input.pointerDown(event)
  }

  pointerMove(event: ToolPointerEvent): void {
    this.input.pointerMove(event)
  }

  pointerUp(event: ToolPointerEvent): void {
    this.input.pointerUp(event)
  }

  /** Abandons whatever the pointer was doing (Esc, undo mid-stroke, focus loss). */
  cancelInteraction(): boolean {
    return this.input.cancelInteraction()
  }

  zoomAt(screen: Point, factor: number): void {
    this.input.zoomAt(screen, factor)
  }

  zoomBy(factor: number): void {
    this.input.zoomBy(factor)
  }

  zoomToFit(): void {
    this.input.zoomToFit()
  }

  zoomToActualSize(): void {
    this.input.zoomToActualSize()
  }

  setViewportSize(width: number, height: number): void {
    this.input.setViewportSize(width, height)
  }

  /** Keyboard shortcuts (see actions.ts); true when the key was used (the view prevents default). */
  keyDown(input: KeyInput): boolean {
    if (input.key === ' ' || input.code === 'Space') {
      this.input.spaceHeld = true
      return true
    }
    return this.actions.handleKey(input)
  }

  keyUp(input: KeyInput): void {
    if (input.key === ' ' || input.code === 'Space') this.input.spaceHeld = false
  }

  // ── generation and staging ─────────────────────────────────────────────────

  /**
   * Captures a job's inputs now (canvas, mask, frame, settings), so the user can keep editing
   * while it waits in the queue.
   */
  captureGeneration(settings: GenerationSettings, modelSide = 256): GenerationRequest {
    return this.requests.capture(settings, modelSide)
  }

  /** What Generate does with the frame now (the kind {@link captureGeneration} picks). */
  generationMode(refine: boolean): GenerationMode {
    return generationModeOf(this.document, this.document.frame, refine)
  }

  get staging(): readonly StagedBatch[] {
    return this.stagingArea.batches
  }

  /** `modelIds`: the models the job ran, kept with the layers accepted from it. */
  stageResults(
    request: GenerationRequest,
    images: readonly RgbaImage[],
    modelIds: readonly string[] = [],
  ): void {
    this.stagingArea.stageResults(request, images, modelIds)
  }

  get stagedBatch(): StagedBatch | undefined {
    return this.stagingArea.current
  }

  get stagedCandidate(): StagedCandidate | undefined {
    return this.stagingArea.currentCandidate
  }

  browseStaged(step: number): boolean {
    return this.stagingArea.browse(step)
  }

  /** Shows the staged batch's candidate `index` (0-based), as a click on its thumbnail does. */
  showStaged(index: number): boolean {
    return this.stagingArea.show(index)
  }

  acceptStaged(): boolean {
    return this.stagingArea.accept()
  }

  acceptAllStaged(): boolean {
    return this.stagingArea.acceptAll()
  }

  discardStaged(): boolean {
    return this.stagingArea.discard()
  }

  /** Whether the result on view is hidden, to compare with the picture under it. */
  get stagedOriginalShown(): boolean {
    return this.stagingArea.originalShown
  }

  /** Hides the result on view to show the picture under it, or shows it again (the \ key). */
  toggleStagedOriginal(): boolean {
    return this.stagingArea.toggleOriginal()
  }

  /** The shown results placed again with Colour match (no new generation). */
  matchStagedColours(): boolean {
    return this.stagingArea.matchColours()
  }
}
