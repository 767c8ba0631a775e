import { useEffect, useRef } from 'react'
import type { GlideApi } from '../../../../contract/ipc'
import type { ToolSettings } from '../../../../contract/settings'
import { unwrap } from '../../bridge'
import type { Editor } from '../../editor/Editor'
import type { ToolId } from '../../editor/tools/Tool'

/** A slider drag is dozens of changes: the settings file is written once it stops. */
const saveDelayMs = 400

const toolFields = ['brushSize', 'brushHardness', 'paintColour'] as const

/** The fields of `next` that differ from `base`. */
function changedToolSettings(base: ToolSettings, next: ToolSettings): Partial<ToolSettings> {
  const changed: Partial<ToolSettings> = {}
  for (const field of toolFields) {
    if (next[field] !== base[field]) Object.assign(changed, { [field]: next[field] })
  }
  return changed
}

/**
 * Keeps the person's tool and its options (brush size and hardness, Paint colour) as they set
 * them: across documents (opening a picture replaces the editor) and across sessions (the
 * settings file). Options changed before the saved ones arrive are kept over them.
 */
export function useToolSettings(
  editor: Editor,
  glide: GlideApi,
  saved: ToolSettings | null | undefined,
): void {
  /** The tool in use and its options, whichever document is open. */
  const inUse = useRef<{ tool: ToolId; settings: ToolSettings } | null>(null)
  /** What the settings file holds; null until it has been read. */
  const stored = useRef<ToolSettings | null>(null)
  const startingSettings = useRef(editor.toolSettings)
  const shownEditor = useRef(editor)

  useEffect(() => {
    const save = () => {
      if (!stored.current) return
      const current = editor.toolSettings
      const patch = changedToolSettings(stored.current, current)
      if (Object.keys(patch).length === 0) return
      stored.current = current
      unwrap(glide.settings.update({ tools: patch })).catch(() => undefined)
    }

    if (inUse.current && shownEditor.current !== editor) {
      shownEditor.current = editor
      editor.setTool(inUse.current.tool)
      editor.applyToolSettings(inUse.current.settings)
    }
    if (saved && !stored.current) {
      stored.current = saved
      const setBeforehand = changedToolSettings(startingSettings.current, editor.toolSettings)
      editor.applyToolSettings({ ...saved, ...setBeforehand })
      save()
    }
    inUse.current = { tool: editor.toolId, settings: editor.toolSettings }

    let timer: ReturnType<typeof setTimeout> | undefined
    const unsubscribe = editor.subscribe((changes) => {
      if (!changes.has('tool')) return
      inUse.current = { tool: editor.toolId, settings: editor.toolSettings }
      clearTimeout(timer)
      timer = setTimeout(save, saveDelayMs)
    })
    return () => {
      unsubscribe()
      clearTimeout(timer)
      save()
    }
  }, [editor, glide, saved])
}
