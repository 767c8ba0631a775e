import { useEffect, useRef } from 'react'
import type { ActionGroup } from '../../editor/actions'
import { actionDefinitions, actionGroupLabels, gestures } from '../../editor/actions'
import './editorActions.css'

const groups = Object.keys(actionGroupLabels) as ActionGroup[]

/**
 * Every command of the editor with its keys, read from the action registry, plus the pointer
 * gestures. A dialog over the canvas (fixed in the window, scrolling inside), so it opens in view.
 */
export function HelpPanel({ onClose }: { onClose(): void }) {
  const dialog = useRef<HTMLElement>(null)
  useEffect(() => dialog.current?.focus(), [])
  return (
    <section
      ref={dialog}
      className="panel floating-dialog help-panel help-dialog"
      role="dialog"
      aria-label="Shortcuts"
      tabIndex={-1}
      onKeyDown={(event) => {
        if (event.key !== 'Escape') return
        event.stopPropagation()
        onClose()
      }}
    >
      <header>
        <h2>Shortcuts</h2>
        <button type="button" onClick={onClose} aria-label="Close shortcuts">
          ×
        </button>
      </header>
      <div className="help-columns">
        {groups.map((group) => {
          const rows = actionDefinitions.filter(
            (action) => action.group === group && (action.shortcut || action.description),
          )
          if (rows.length === 0) return null
          return (
            <table key={group}>
              <caption>{actionGroupLabels[group]}</caption>
              <tbody>
                {rows.map((action) => (
                  <tr key={action.id}>
                    <th scope="row">{action.shortcut && <kbd>{action.shortcut}</kbd>}</th>
                    <td>{action.description ?? action.label}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        })}
        <table>
          <caption>Pointer</caption>
          <tbody>
            {gestures.map((gesture) => (
              <tr key={gesture.keys}>
                <th scope="row">
                  <kbd>{gesture.keys}</kbd>
                </th>
                <td>{gesture.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}
