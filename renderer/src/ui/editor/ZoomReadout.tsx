import { useCallback, useSyncExternalStore } from 'react'
import type { Editor } from '../../editor/Editor'

/** "67%", "800%"; below 10 % with one decimal ("1.6%"). */
export function zoomText(scale: number): string {
  const percent = scale * 100
  return `${percent >= 10 ? Math.round(percent) : percent.toFixed(1)}%`
}

/** The canvas's zoom as it is now, beside the view buttons (the wheel zooms at the pointer). */
export function ZoomReadout({ editor }: { editor: Editor }) {
  const subscribe = useCallback(
    (notify: () => void) =>
      editor.subscribe((changes) => {
        if (changes.has('viewport') || changes.has('canvas')) notify()
      }),
    [editor],
  )
  const scale = useSyncExternalStore(subscribe, () => editor.viewport.scale)
  return (
    <output
      className="zoom-readout"
      aria-label="Zoom"
      title="Zoom (the wheel zooms at the pointer)"
    >
      {zoomText(scale)}
    </output>
  )
}
