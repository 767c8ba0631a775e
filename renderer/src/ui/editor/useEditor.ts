import { useCallback, useSyncExternalStore } from 'react'
import type { Editor, EditorChange } from '../../editor/Editor'

/** Changes that only the canvas cares about; panels skip them so strokes never re-render React. */
const canvasOnly: ReadonlySet<EditorChange> = new Set(['mask', 'pixels', 'viewport'])

/** Re-renders the calling component when the editor's panel-visible state changes. */
export function useEditorSnapshot(editor: Editor): number {
  const subscribe = useCallback(
    (notify: () => void) =>
      editor.subscribe((changes) => {
        for (const change of changes) {
          if (!canvasOnly.has(change)) {
            notify()
            return
          }
        }
      }),
    [editor],
  )
  return useSyncExternalStore(subscribe, () => editor.changeCount)
}
