import type { ActionGroup } from '../../editor/actions'
import { actionDefinitions, actionGroupLabels, gestures } from '../../editor/actions'
import { FloatingDialog } from '../FloatingDialog'
import './editorActions.css'

const groups = Object.keys(actionGroupLabels) as ActionGroup[]

/**
 * Every command of the editor with its keys, read from the action registry, plus the pointer
 * gestures. A dialog over the canvas (fixed in the window, scrolling inside), so it opens in view.
 */
export function HelpPanel({ onClose }: { onClose(): void }) {
  return (
    <FloatingDialog title="Shortcuts" className="help-panel help-dialog" onClose={onClose}>
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
    </FloatingDialog>
  )
}
