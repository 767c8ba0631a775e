import type { EditorDocument, Layer } from '../EditorDocument'
import type { Point } from '../geometry'
import type { HistoryEntry } from '../History'
import { History } from '../History'
import type { EditorChange } from './ChangeNotifier'
import { ChangeNotifier } from './ChangeNotifier'
import { RenderCache } from './RenderCache'

export const historyDepth = 200
export const maxLayers = 256

/**
 * The state every part of the editor shares: the document, the active layer, history with the
 * revision counter ("unsaved changes"), change notification and the render cache. Parts change
 * the document only through entries recorded here, so every change can be undone.
 */
export class EditSession {
  readonly history = new History(historyDepth)
  readonly notifier = new ChangeNotifier()
  readonly renderCache: RenderCache
  activeLayerId: string | null
  /** Increases with every document change; compare with `savedRevision` for "unsaved changes". */
  revision = 0
  savedRevision = 0
  /**
   * Where the picture's original top-left corner is now: canvas size and crop move the picture,
   * so work captured before them (queued jobs, staged results) is shifted by the difference.
   */
  canvasOrigin: Point = { x: 0, y: 0 }

  constructor(readonly document: EditorDocument) {
    this.renderCache = new RenderCache(document, this.notifier)
    this.activeLayerId = document.layers.at(-1)?.id ?? null
  }

  changed(...changes: EditorChange[]): void {
    this.notifier.changed(...changes)
  }

  /** Records an entry: runs it first unless the change is already applied. */
  record(entry: HistoryEntry, alreadyApplied: boolean): void {
    if (alreadyApplied) this.history.push(entry)
    else this.history.execute(entry)
    this.changed('history')
  }

  /** An entry whose both directions bump the revision. */
  entry(label: string, redo: () => void, undo: () => void, bytes?: number): HistoryEntry {
    return {
      label,
      ...(bytes === undefined ? {} : { bytes }),
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

  /** Runs `redo` now and records it with its inverse. */
  apply(label: string, redo: () => void, undo: () => void, bytes?: number): void {
    this.record(this.entry(label, redo, undo, bytes), false)
  }

  get activeLayer(): Layer | undefined {
    return this.activeLayerId ? this.document.getLayer(this.activeLayerId) : undefined
  }

  /** How many more layers the document can take (the project format holds at most 256). */
  get layerRoom(): number {
    return maxLayers - this.document.layers.length
  }

  insertLayer(layer: Layer, index: number): void {
    this.document.layers.splice(index, 0, layer)
    this.activeLayerId = layer.id
    this.renderCache.invalidateLayerTiles(null)
    this.changed('layers')
  }

  removeLayer(id: string): void {
    const index = this.document.layerIndex(id)
    if (index < 0) return
    this.document.layers.splice(index, 1)
    if (this.activeLayerId === id) {
      this.activeLayerId =
        this.document.layers[Math.min(index, this.document.layers.length - 1)]?.id ?? null
    }
    this.renderCache.invalidateLayerTiles(null)
    this.changed('layers')
  }

  /** Replaces the whole layer stack (merge, flatten) and the active layer. */
  setLayers(layers: readonly Layer[], activeLayerId: string | null): void {
    this.document.layers.splice(0, this.document.layers.length, ...layers)
    this.activeLayerId = activeLayerId
    this.renderCache.invalidateLayerTiles(null)
    this.changed('layers')
  }
}
