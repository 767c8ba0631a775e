import type { Layer } from '../EditorDocument'
import type { Point, Rect } from '../geometry'
import { TileEditRecorder, applyTiles, tileEditBytes } from '../History'
import type { BrushSettings } from '../maskBrush'
import { dabCentresAlong } from '../maskBrush'
import type { PaintMode, Rgb } from '../paintBrush'
import { PaintStroke } from '../paintBrush'
import { tileSize } from '../TiledRaster'
import type { EditSession } from './EditSession'

/**
 * The Paint tool's strokes on the active layer's pixels, in the colour chosen (or erasing them to
 * transparent), each one undoable step. It shares the mask brush's size and hardness.
 */
export class LayerPainting {
  colour: Rgb = [0, 0, 0]
  private stroke: {
    layer: Layer
    paint: PaintStroke
    recorder: TileEditRecorder
    last: Point
  } | null = null

  constructor(
    private readonly session: EditSession,
    private readonly brush: () => BrushSettings,
  ) {}

  /** Why Paint would change nothing now, in words; null when it can paint the active layer. */
  get refusal(): string | null {
    const layer = this.session.activeLayer
    if (!layer) return 'Choose a layer to paint on.'
    if (layer.locked) return `“${layer.name}” is locked: unlock it to paint on it.`
    if (!layer.visible) return `“${layer.name}” is hidden: show it to paint on it.`
    return null
  }

  setColour(colour: Rgb): void {
    this.colour = colour
    this.session.changed('tool')
  }

  /** Takes the colour of the visible layers at `point`; false where they are transparent. */
  pickPaintColour(point: Point): boolean {
    const { document, renderCache } = this.session
    const x = Math.floor(point.x)
    const y = Math.floor(point.y)
    if (x < 0 || y < 0 || x >= document.width || y >= document.height) return false
    // Every raster of the document shares the mask's tile grid.
    const key = document.mask.tileKey(Math.floor(x / tileSize), Math.floor(y / tileSize))
    const tile = renderCache.compositeTileAt(key)
    const offset = ((y % tileSize) * tileSize + (x % tileSize)) * 4
    if (!tile || (tile[offset + 3] ?? 0) === 0) return false
    this.setColour([tile[offset] ?? 0, tile[offset + 1] ?? 0, tile[offset + 2] ?? 0])
    return true
  }

  /**
   * Fills the masked part of the active layer with the colour (a soft mask edge mixes it in), as
   * one undoable step; false when the mask is empty or the layer refused.
   */
  fillMask(): boolean {
    const layer = this.session.activeLayer
    const mask = this.session.document.mask
    if (!layer || this.refusal || mask.allocatedTileCount === 0) return false
    this.cancelPaintStroke()
    const recorder = new TileEditRecorder(layer.raster)
    const fill = new PaintStroke(layer.raster, recorder, 'paint', this.colour, this.brush())
    const keys = mask.allocatedTileKeys()
    for (const key of keys) {
      const coverage = mask.getTile(key)
      if (coverage) fill.cover(key, coverage)
    }
    this.session.renderCache.invalidateLayerTiles(layer, keys)
    this.record('Fill with colour', layer, recorder)
    return true
  }

  /** Starts a stroke at `point`; false (and nothing changes) when the active layer is refused. */
  beginPaintStroke(point: Point, mode: PaintMode): boolean {
    this.cancelPaintStroke()
    const layer = this.session.activeLayer
    if (!layer || this.refusal) return false
    const recorder = new TileEditRecorder(layer.raster)
    const paint = new PaintStroke(layer.raster, recorder, mode, this.colour, this.brush())
    this.stroke = { layer, paint, recorder, last: point }
    this.session.renderCache.beginLayerStroke(layer)
    const painted = paint.dab(point)
    this.session.renderCache.invalidateLayerRects(layer, painted ? [painted] : [])
    return true
  }

  continuePaintStroke(point: Point): void {
    const stroke = this.stroke
    if (!stroke) return
    const painted: Rect[] = []
    for (const centre of dabCentresAlong(stroke.last, point, stroke.paint.brush.size)) {
      const area = stroke.paint.dab(centre)
      if (area) painted.push(area)
    }
    stroke.last = point
    this.session.renderCache.invalidateLayerRects(stroke.layer, painted)
  }

  /** Ends the stroke as one undoable step ("Paint" or "Erase pixels"). */
  endPaintStroke(): void {
    const stroke = this.stroke
    if (!stroke) return
    this.stroke = null
    this.session.renderCache.endLayerStroke()
    this.record(
      stroke.paint.mode === 'paint' ? 'Paint' : 'Erase pixels',
      stroke.layer,
      stroke.recorder,
    )
  }

  /** Records an edit already made to `layer`'s pixels as one undoable step. */
  private record(label: string, layer: Layer, recorder: TileEditRecorder): void {
    const edit = recorder.finish()
    const keys = recorder.touchedKeys
    const apply = (tiles: typeof edit.before): void => {
      applyTiles(edit.raster, tiles)
      this.session.renderCache.invalidateLayerTiles(layer, keys)
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
    // The layer's thumbnail follows.
    this.session.changed('layers')
  }

  cancelPaintStroke(): void {
    const stroke = this.stroke
    if (!stroke) return
    this.stroke = null
    this.session.renderCache.endLayerStroke()
    const keys = applyTiles(stroke.layer.raster, stroke.recorder.finish().before)
    this.session.renderCache.invalidateLayerTiles(stroke.layer, keys)
  }

  get isStroking(): boolean {
    return this.stroke !== null
  }
}
