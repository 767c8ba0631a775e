import { shortcutList } from '../../editor/shortcuts'

/** Every keyboard shortcut of the editor. */
export function HelpPanel({ onClose }: { onClose(): void }) {
  return (
    <section className="panel help-panel" role="dialog" aria-label="Shortcuts">
      <header>
        <h2>Shortcuts</h2>
        <button type="button" onClick={onClose} aria-label="Close shortcuts">
          ×
        </button>
      </header>
      <table>
        <tbody>
          {shortcutList.map((shortcut) => (
            <tr key={shortcut.action}>
              <th scope="row">
                <kbd>{shortcut.keys}</kbd>
              </th>
              <td>{shortcut.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
