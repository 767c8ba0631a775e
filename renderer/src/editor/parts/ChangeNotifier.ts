/** What changed, so views redraw only what they must. */
export type EditorChange =
  | 'layers'
  | 'pixels'
  | 'mask'
  | 'frame'
  | 'viewport'
  | 'tool'
  | 'staging'
  | 'history'
  | 'accepted'
  /** the canvas size changed (resize, crop): views re-measure the document */
  | 'canvas'
  /** a display setting (mask overlay shown or hidden) */
  | 'display'
  /** the document's name */
  | 'title'
  /** the document was saved (its unsaved-changes state moved without a change to it) */
  | 'saved'

export type EditorListener = (changes: ReadonlySet<EditorChange>) => void

/** Collects changes and tells listeners once per change, or once per `batch`. */
export class ChangeNotifier {
  /** Increases with every notification; views use it as a snapshot version. */
  changeCount = 0
  private readonly listeners = new Set<EditorListener>()
  private pending = new Set<EditorChange>()
  private batchDepth = 0

  subscribe(listener: EditorListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  changed(...changes: EditorChange[]): void {
    for (const change of changes) this.pending.add(change)
    if (this.batchDepth > 0) return
    const flushed = this.pending
    this.pending = new Set()
    this.changeCount += 1
    for (const listener of this.listeners) listener(flushed)
  }

  batch<T>(body: () => T): T {
    this.batchDepth += 1
    try {
      return body()
    } finally {
      this.batchDepth -= 1
      if (this.batchDepth === 0 && this.pending.size > 0) this.changed()
    }
  }
}
