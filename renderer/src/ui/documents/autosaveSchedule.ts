import type { EditorChange } from '../../editor/Editor'

/** Changes that leave the document as it was. */
const viewOnlyChanges: ReadonlySet<EditorChange> = new Set(['viewport', 'tool', 'display', 'saved'])

/**
 * When to autosave: `delayMs` after the last document change, at once (next tick) after an
 * accepted result. Changes that follow an accept do not push that save back; view-only changes
 * (pan, zoom, tool) schedule nothing. The save runs from a timer, not inside the listener, because
 * the editor's revision moves after its listeners hear of a change.
 */
export class AutosaveSchedule {
  private timer: ReturnType<typeof setTimeout> | undefined
  private soon = false

  constructor(
    private readonly save: () => void,
    private readonly delayMs: number,
  ) {}

  changed(changes: ReadonlySet<EditorChange>): void {
    if (![...changes].some((change) => !viewOnlyChanges.has(change))) return
    if (this.soon) return
    clearTimeout(this.timer)
    this.soon = changes.has('accepted')
    this.timer = setTimeout(
      () => {
        this.soon = false
        this.save()
      },
      this.soon ? 0 : this.delayMs,
    )
  }

  dispose(): void {
    clearTimeout(this.timer)
  }
}
