import type { GenerationInfo } from '../../../../contract/documents'
import { compositeRect, compositeTile, isShown, shownContentBounds } from '../compositing'
import type { Layer, RgbaImage } from '../EditorDocument'
import { keptName, newLayerId } from '../EditorDocument'
import type { Point, Rect } from '../geometry'
import { TileEditRecorder, applyTiles, tileEditBytes } from '../History'
import { maxLayers } from './EditSession'
import type { EditSession } from './EditSession'

/** A layer move in progress: the pixels as they were, and the tiles it has touched so far. */
interface LayerMove {
  readonly layer: Layer
  readonly bounds: Rect
  readonly pixels: Uint8ClampedArray
  readonly recorder: TileEditRecorder
  offset: Point
}

/**
 * Undoable changes to the layer stack: add, import, delete, duplicate, properties, reorder,
 * merge down, flatten, and moving a layer's pixels (the Move tool and arrow-key nudges).
 */
export class LayerOperations {
  private move: LayerMove | null = null

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

  // ── moving a layer's pixels ────────────────────────────────────────────────

  /** The layer the Move tool and the nudge keys would move: the active one, unless locked. */
  get movableLayer(): Layer | undefined {
    const layer = this.session.activeLayer
    return layer && !layer.locked ? layer : undefined
  }

  get isMovingLayer(): boolean {
    return this.move !== null
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
    this.move = { layer, bounds, pixels, recorder, offset: { x: 0, y: 0 } }
    return true
  }

  /** Shows the layer shifted by `offset` (document pixels, rounded) from where it started. */
  previewLayerMove(offset: Point): void {
    const move = this.move
    if (!move) return
    const dx = Math.round(offset.x)
    const dy = Math.round(offset.y)
    if (dx === move.offset.x && dy === move.offset.y) return
    const raster = move.layer.raster
    const shifted = (offset: Point): Rect => ({
      ...move.bounds,
      x: move.bounds.x + offset.x,
      y: move.bounds.y + offset.y,
    })
    const previous = shifted(move.offset)
    move.offset = { x: dx, y: dy }
    const target = shifted(move.offset)
    move.recorder.touch(raster.tileKeysIn(target))
    raster.clear()
    if (target.width > 0) raster.writeRect(target, move.pixels)
    // Only the tiles under the old and new place change; panels hear about it at the end.
    const keys = new Set([...raster.tileKeysIn(previous), ...raster.tileKeysIn(target)])
    this.session.renderCache.invalidateLayerTiles(move.layer, keys)
  }

  /** Ends the move at its current offset as one undoable step ("Move layer"). */
  commitLayerMove(): boolean {
    const move = this.move
    if (!move) return false
    this.move = null
    if (move.offset.x === 0 && move.offset.y === 0) return false
    const edit = move.recorder.finish()
    const apply = (tiles: typeof edit.before): void => {
      applyTiles(edit.raster, tiles)
      this.session.renderCache.invalidateLayerTiles(null)
      this.session.changed('layers')
    }
    this.session.revision += 1
    this.session.record(
      this.session.entry(
        'Move layer',
        () => apply(edit.after),
        () => apply(edit.before),
        tileEditBytes(edit),
      ),
      true,
    )
    return true
  }

  /** Puts the layer back where the move started. */
  cancelLayerMove(): void {
    const move = this.move
    if (!move) return
    this.move = null
    applyTiles(move.layer.raster, move.recorder.finish().before)
    this.session.renderCache.invalidateLayerTiles(null)
    this.session.changed('layers')
  }

  /** Moves the active layer by (dx, dy) pixels at once (arrow keys). */
  nudgeLayer(dx: number, dy: number): boolean {
    if (!this.beginLayerMove()) return false
    this.previewLayerMove({ x: dx, y: dy })
    return this.commitLayerMove()
  }
}
