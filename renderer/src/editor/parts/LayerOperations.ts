import type { GenerationInfo } from '../../../../contract/documents'
import { compositeRect, compositeTile, isShown, shownContentBounds } from '../compositing'
import type { Layer, RgbaImage } from '../EditorDocument'
import { keptName, newLayerId } from '../EditorDocument'
import { intersectRects, sameRect, type Point, type Rect } from '../geometry'
import { resampleRgbaWindow } from '../../../../imaging/resample'
import { TileEditRecorder, applyTiles, tileEditBytes } from '../History'
import { maxLayers } from './EditSession'
import type { EditSession } from './EditSession'

/**
 * A move or scale of a layer in progress: its pixels as they were, the tiles touched so far, and
 * the box they are shown in now (the content's bounds moved, or scaled).
 */
interface LayerTransform {
  readonly layer: Layer
  readonly bounds: Rect
  readonly pixels: Uint8ClampedArray
  readonly recorder: TileEditRecorder
  box: Rect
}

/**
 * Undoable changes to the layer stack: add, import, delete, duplicate, properties, reorder,
 * merge down, flatten, and moving or scaling a layer's pixels (the Move tool, arrow-key nudges).
 */
export class LayerOperations {
  private move: LayerTransform | null = null
  private contentBox: { layer: Layer; changeCount: number; box: Rect | null } | null = null

  constructor(private readonly session: EditSession) {}

  private get document() {
    return this.session.document
  }

  selectLayer(id: string): void {
    if (!this.document.getLayer(id)) return
    this.session.activeLayerId = id
    this.session.changed('layers')
  }

  private ensureLayerRoom(count: number): void {
    if (count > this.session.layerRoom)
      throw new RangeError(`A document holds at most ${maxLayers} layers.`)
  }

  private insertionIndex(): number {
    const id = this.session.activeLayerId
    const active = id ? this.document.layerIndex(id) : -1
    return active < 0 ? this.document.layers.length : active + 1
  }

  addLayerObject(layer: Layer, label: string, index = this.insertionIndex()): void {
    this.ensureLayerRoom(1)
    const previousActive = this.session.activeLayerId
    this.session.apply(
      label,
      () => this.session.insertLayer(layer, index),
      () => {
        this.session.removeLayer(layer.id)
        this.session.activeLayerId = previousActive
      },
    )
  }

  addLayer(name = `Layer ${this.document.layers.length + 1}`): Layer {
    const layer = this.document.createLayer(name)
    this.addLayerObject(layer, 'Add layer')
    return layer
  }

  /**
   * A new layer on top holding `image` with its top-left corner at `at` (default: centred);
   * `generation` is what made the picture, when it is a result (the Gallery's Place).
   */
  addImageLayer(image: RgbaImage, name: string, at?: Point, generation?: GenerationInfo): Layer {
    const layer = this.document.createLayer(name)
    if (generation) layer.generation = generation
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
    this.session.apply(
      'Delete layer',
      () => this.session.removeLayer(id),
      () => this.session.insertLayer(layer, index),
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
    const set = (next: Layer[K]): void => {
      layer[key] = next
      if (affectsPixels) this.session.renderCache.invalidateLayerTiles(null)
      this.session.changed('layers')
    }
    this.session.apply(
      label,
      () => set(value),
      () => set(before),
    )
    return true
  }

  /** A layer's pixels on the canvas, trimmed to what it holds (null when it holds nothing). */
  layerImage(id: string): RgbaImage | null {
    const layer = this.document.getLayer(id)
    const bounds = layer?.raster.contentBounds(this.document.bounds)
    if (!layer || !bounds) return null
    return { width: bounds.width, height: bounds.height, data: layer.raster.readRect(bounds) }
  }

  /** The visible layers flattened, trimmed to what they hold (null when nothing shows). */
  visibleImage(): RgbaImage | null {
    const { layers, bounds: canvas } = this.document
    const bounds = shownContentBounds(layers, canvas)
    return bounds ? compositeRect(layers, canvas, bounds) : null
  }

  renameLayer(id: string, name: string): boolean {
    const trimmed = keptName(name)
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
    const reorder = (a: number, b: number): void => {
      const [moved] = this.document.layers.splice(a, 1)
      if (moved) this.document.layers.splice(b, 0, moved)
      this.session.renderCache.invalidateLayerTiles(null)
      this.session.changed('layers')
    }
    this.session.apply(
      'Reorder layers',
      () => reorder(from, to),
      () => reorder(to, from),
    )
    return true
  }

  // ── merge and flatten ──────────────────────────────────────────────────────

  /** The layer under `id` when the two can be merged (both visible, neither locked). */
  mergeDownTarget(id = this.session.activeLayerId): Layer | undefined {
    if (!id) return undefined
    const index = this.document.layerIndex(id)
    const upper = this.document.layers[index]
    const lower = this.document.layers[index - 1]
    if (!upper || !lower || upper.locked || lower.locked) return undefined
    return upper.visible && lower.visible ? lower : undefined
  }

  /**
   * Composites the layer onto the one below it: the result keeps the lower layer's name and
   * generation details, at full opacity, so the canvas looks exactly as before.
   */
  mergeDown(id = this.session.activeLayerId): boolean {
    const lower = this.mergeDownTarget(id)
    const upper = id ? this.document.getLayer(id) : undefined
    if (!lower || !upper) return false
    const merged = this.compositeLayer([lower, upper], lower.name, lower)
    const before = [...this.document.layers]
    const after = before.filter((layer) => layer !== upper).map((l) => (l === lower ? merged : l))
    const previousActive = this.session.activeLayerId
    this.session.apply(
      'Merge down',
      () => this.session.setLayers(after, merged.id),
      () => this.session.setLayers(before, previousActive),
    )
    return true
  }

  get canFlatten(): boolean {
    return this.document.layers.length > 1 || this.document.layers.some((layer) => !layer.visible)
  }

  /** One layer holding the composite of the visible layers; hidden layers are dropped. */
  flatten(): boolean {
    if (!this.canFlatten) return false
    const before = [...this.document.layers]
    const visible = before.filter(isShown)
    const flattened = this.compositeLayer(visible, 'Background')
    const previousActive = this.session.activeLayerId
    this.session.apply(
      'Flatten',
      () => this.session.setLayers([flattened], flattened.id),
      () => this.session.setLayers(before, previousActive),
    )
    return true
  }

  private compositeLayer(layers: readonly Layer[], name: string, base?: Layer): Layer {
    const result: Layer = {
      ...this.document.createLayer(name),
      ...(base?.generation ? { generation: base.generation } : {}),
    }
    const raster = result.raster
    const keys = new Set(layers.flatMap((layer) => layer.raster.allocatedTileKeys()))
    const shown = layers.map((layer) => ({ ...layer, visible: true }))
    for (const key of keys) {
      const tile = new Uint8ClampedArray(raster.tileByteLength)
      if (compositeTile(shown, key, tile)) raster.setTile(key, tile)
    }
    return result
  }

  // ── moving and scaling a layer's pixels ────────────────────────────────────

  /** The layer the Move tool and the nudge keys would move: the active one, unless locked. */
  get movableLayer(): Layer | undefined {
    const layer = this.session.activeLayer
    return layer && !layer.locked ? layer : undefined
  }

  get isMovingLayer(): boolean {
    return this.move !== null
  }

  /**
   * Where the Move tool's scale handles sit: the box of a move or scale under way, else the
   * movable layer's content bounds; null when there is nothing to scale.
   */
  get transformBox(): Rect | null {
    if (this.move) return this.move.box
    const layer = this.movableLayer
    if (!layer) return null
    // Finding the content reads the layer's pixels: once per change, not per pointer move.
    const changeCount = this.session.notifier.changeCount
    const cached = this.contentBox
    if (cached?.layer === layer && cached.changeCount === changeCount) return cached.box
    const box = layer.raster.contentBounds()
    this.contentBox = { layer, changeCount, box }
    return box
  }

  /** Starts moving the active layer; false when there is none to move. */
  beginLayerMove(): boolean {
    this.cancelLayerMove()
    const layer = this.movableLayer
    if (!layer) return false
    const bounds = layer.raster.contentBounds() ?? { x: 0, y: 0, width: 0, height: 0 }
    const recorder = new TileEditRecorder(layer.raster)
    recorder.touch(layer.raster.allocatedTileKeys())
    const pixels = bounds.width > 0 ? layer.raster.readRect(bounds) : new Uint8ClampedArray()
    this.move = { layer, bounds, pixels, recorder, box: bounds }
    return true
  }

  /** Shows the layer shifted by `offset` (document pixels, rounded) from where it started. */
  previewLayerMove(offset: Point): void {
    const move = this.move
    if (!move) return
    const box = {
      ...move.bounds,
      x: move.bounds.x + Math.round(offset.x),
      y: move.bounds.y + Math.round(offset.y),
    }
    this.showTransformed(move, box, () => move.pixels)
  }

  /** Ends the move at its current offset as one undoable step ("Move layer"). */
  commitLayerMove(): boolean {
    return this.commitTransform('Move layer')
  }

  /** Starts scaling the active layer; false when it has no pixels to scale or is locked. */
  beginLayerScale(): boolean {
    return this.beginLayerMove() && (this.move?.bounds.width ?? 0) > 0
  }

  /**
   * Shows the layer's pixels stretched over `box` (document pixels, rounded), nearest neighbour
   * while the pointer moves; only the part on the canvas is computed.
   */
  previewLayerScale(box: Rect): void {
    const move = this.move
    if (!move || move.bounds.width === 0) return
    this.showTransformed(move, roundedBox(box), (visible, shown) =>
      nearestScaled(move.pixels, move.bounds, shown, visible),
    )
  }

  /** Ends the scale as one undoable step ("Scale layer"), resampled as the Lanczos/area filter. */
  commitLayerScale(): boolean {
    const move = this.move
    if (!move) return false
    const { box, bounds } = move
    if (box.width !== bounds.width || box.height !== bounds.height) {
      const visible = intersectRects(box, this.document.bounds)
      const raster = move.layer.raster
      raster.clear()
      if (visible) {
        const window = { ...visible, x: visible.x - box.x, y: visible.y - box.y }
        const source = { width: bounds.width, height: bounds.height, data: move.pixels }
        move.recorder.touch(raster.tileKeysIn(visible))
        raster.writeRect(visible, resampleRgbaWindow(source, box.width, box.height, window).data)
      }
      this.session.renderCache.invalidateLayerTiles(move.layer)
    }
    return this.commitTransform('Scale layer')
  }

  /** Puts the layer back where the move or scale started. */
  cancelLayerMove(): void {
    const move = this.move
    if (!move) return
    this.move = null
    applyTiles(move.layer.raster, move.recorder.finish().before)
    this.session.renderCache.invalidateLayerTiles(null)
    this.session.changed('layers')
  }

  /** Draws the transform's pixels (as `draw` gives the part of `box` on the canvas) at `box`. */
  private showTransformed(
    move: LayerTransform,
    box: Rect,
    draw: (visible: Rect, box: Rect) => Uint8ClampedArray,
  ): void {
    const previous = move.box
    if (sameRect(box, previous)) return
    move.box = box
    const raster = move.layer.raster
    const visible = intersectRects(box, this.document.bounds)
    raster.clear()
    if (visible) {
      move.recorder.touch(raster.tileKeysIn(visible))
      raster.writeRect(visible, draw(visible, box))
    }
    // Only the tiles under the old and new place change; panels hear about it at the end.
    const keys = new Set([...raster.tileKeysIn(previous), ...raster.tileKeysIn(box)])
    this.session.renderCache.invalidateLayerTiles(move.layer, keys)
  }

  private commitTransform(label: 'Move layer' | 'Scale layer'): boolean {
    const move = this.move
    if (!move) return false
    this.move = null
    // Back where it started (or a click without a drag): the pixels are the original ones.
    if (sameRect(move.box, move.bounds)) return false
    const edit = move.recorder.finish()
    const apply = (tiles: typeof edit.before): void => {
      applyTiles(edit.raster, tiles)
      this.session.renderCache.invalidateLayerTiles(null)
      this.session.changed('layers')
    }
    this.session.revision += 1
    this.session.record(
      this.session.entry(
        label,
        () => apply(edit.after),
        () => apply(edit.before),
        tileEditBytes(edit),
      ),
      true,
    )
    return true
  }

  /** Moves the active layer by (dx, dy) pixels at once (arrow keys). */
  nudgeLayer(dx: number, dy: number): boolean {
    if (!this.beginLayerMove()) return false
    this.previewLayerMove({ x: dx, y: dy })
    return this.commitLayerMove()
  }
}

function roundedBox(box: Rect): Rect {
  const x = Math.round(box.x)
  const y = Math.round(box.y)
  return {
    x,
    y,
    width: Math.max(1, Math.round(box.x + box.width) - x),
    height: Math.max(1, Math.round(box.y + box.height) - y),
  }
}

/** The part `visible` of `pixels` (a `source`-sized RGBA picture) stretched over `box`. */
function nearestScaled(
  pixels: Uint8ClampedArray,
  source: Rect,
  box: Rect,
  visible: Rect,
): Uint8ClampedArray {
  const from = new Uint32Array(pixels.buffer, pixels.byteOffset, source.width * source.height)
  const out = new Uint8ClampedArray(visible.width * visible.height * 4)
  const to = new Uint32Array(out.buffer)
  const columns = Int32Array.from({ length: visible.width }, (_, x) =>
    Math.min(
      source.width - 1,
      Math.floor(((visible.x - box.x + x + 0.5) * source.width) / box.width),
    ),
  )
  for (let y = 0; y < visible.height; y++) {
    const row = Math.min(
      source.height - 1,
      Math.floor(((visible.y - box.y + y + 0.5) * source.height) / box.height),
    )
    const start = row * source.width
    const target = y * visible.width
    for (let x = 0; x < visible.width; x++) to[target + x] = from[start + (columns[x] ?? 0)] ?? 0
  }
  return out
}
