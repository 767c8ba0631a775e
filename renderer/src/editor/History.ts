import type { TileData, TiledRaster } from './TiledRaster'

/** One undoable document change. `undo` and `redo` must be exact inverses. */
export interface HistoryEntry {
  readonly label: string
  /** pixel bytes the entry keeps alive, when it keeps any */
  readonly bytes?: number
  undo(): void
  redo(): void
}

/**
 * A command-based undo stack. Pixel edits are recorded as the before/after of the tiles they
 * touched (see {@link TileEditRecorder}), never as whole-document snapshots.
 */
export class History {
  private readonly undoStack: HistoryEntry[] = []
  private redoStack: HistoryEntry[] = []

  constructor(readonly limit = 200) {}

  /** Records an already-applied change; clears the redo stack. */
  push(entry: HistoryEntry): void {
    this.undoStack.push(entry)
    if (this.undoStack.length > this.limit) {
      this.undoStack.shift()
      this.droppedOldest = true
    }
    this.redoStack = []
  }

  /** True once the oldest steps were dropped for the limit: undo no longer reaches the start. */
  droppedOldest = false

  /** The steps' labels, oldest first: those done (undo goes back through them), then those undone. */
  get steps(): { readonly done: readonly string[]; readonly undone: readonly string[] } {
    return {
      done: this.undoStack.map((entry) => entry.label),
      undone: this.redoStack.map((entry) => entry.label).reverse(),
    }
  }

  /** Applies `entry.redo()` then records it. */
  execute(entry: HistoryEntry): void {
    entry.redo()
    this.push(entry)
  }

  undo(): HistoryEntry | undefined {
    const entry = this.undoStack.pop()
    if (!entry) return undefined
    entry.undo()
    this.redoStack.push(entry)
    return entry
  }

  redo(): HistoryEntry | undefined {
    const entry = this.redoStack.pop()
    if (!entry) return undefined
    entry.redo()
    this.undoStack.push(entry)
    return entry
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0
  }

  get undoDepth(): number {
    return this.undoStack.length
  }

  get redoDepth(): number {
    return this.redoStack.length
  }

  get retainedBytes(): number {
    let total = 0
    for (const entry of this.undoStack) total += entry.bytes ?? 0
    for (const entry of this.redoStack) total += entry.bytes ?? 0
    return total
  }

  get nextUndoLabel(): string | undefined {
    return this.undoStack.at(-1)?.label
  }

  get nextRedoLabel(): string | undefined {
    return this.redoStack.at(-1)?.label
  }

  clear(): void {
    this.undoStack.length = 0
    this.redoStack = []
  }
}

/** The before and after of the tiles one edit changed in one raster. */
export interface TileEdit {
  readonly raster: TiledRaster
  readonly before: ReadonlyMap<number, TileData>
  readonly after: ReadonlyMap<number, TileData>
}

/**
 * Copies each tile the first time an edit is about to touch it, so a stroke of any length stores
 * only the tiles it crossed. `finish()` captures the after state.
 */
export class TileEditRecorder {
  private readonly before = new Map<number, TileData>()

  constructor(readonly raster: TiledRaster) {}

  /** Call before writing to these tiles. */
  touch(keys: Iterable<number>): void {
    for (const key of keys) {
      if (!this.before.has(key)) this.before.set(key, this.raster.copyTile(key))
    }
  }

  /** A touched tile as it was before the edit (undefined: it was empty). */
  original(key: number): TileData {
    return this.before.get(key)
  }

  get touchedKeys(): number[] {
    return [...this.before.keys()]
  }

  finish(): TileEdit {
    this.raster.dropEmptyTiles(this.before.keys())
    const after = new Map<number, TileData>()
    for (const key of this.before.keys()) after.set(key, this.raster.copyTile(key))
    return { raster: this.raster, before: new Map(this.before), after }
  }
}

export function applyTiles(raster: TiledRaster, tiles: ReadonlyMap<number, TileData>): number[] {
  for (const [key, data] of tiles) raster.setTile(key, data ? data.slice() : undefined)
  return [...tiles.keys()]
}

/** Bytes an edit keeps alive; useful to bound history memory. */
export function tileEditBytes(edit: TileEdit): number {
  let bytes = 0
  for (const data of edit.before.values()) bytes += data?.byteLength ?? 0
  for (const data of edit.after.values()) bytes += data?.byteLength ?? 0
  return bytes
}
