import type { Editor } from '../../editor/Editor'
import type { ToolId } from '../../editor/tools/Tool'
import type { ExportFormat } from '../../../../contract/documents'
import { useEditorSnapshot } from './useEditor'

const tools: { id: ToolId; label: string; key: string }[] = [
  { id: 'brush', label: 'Brush', key: 'B' },
  { id: 'eraser', label: 'Eraser', key: 'E' },
  { id: 'rect-mask', label: 'Rectangle mask', key: 'R' },
  { id: 'frame', label: 'Generation frame', key: 'F' },
  { id: 'pan', label: 'Pan', key: 'H' },
]

export interface ToolbarProps {
  editor: Editor
  onNew(): void
  onOpen(): void
  onSave(): void
  onExport(format: ExportFormat): void
  onToggleHelp(): void
}

/** Tools, brush settings, mask actions, history and file actions. */
export function Toolbar({ editor, onNew, onOpen, onSave, onExport, onToggleHelp }: ToolbarProps) {
  useEditorSnapshot(editor)
  return (
    <div className="editor-toolbar" role="toolbar" aria-label="Tools">
      <div className="tool-group">
        <button type="button" onClick={onNew}>
          New
        </button>
        <button type="button" onClick={onOpen}>
          Open
        </button>
        <button type="button" onClick={onSave}>
          Save
        </button>
        <select
          aria-label="Export"
          value=""
          onChange={(event) => {
            if (event.target.value) onExport(event.target.value as ExportFormat)
          }}
        >
          <option value="">Export…</option>
          <option value="png">PNG (composite)</option>
          <option value="layer-png">PNG (active layer)</option>
          <option value="ora">OpenRaster (.ora)</option>
          <option value="psd">Photoshop (.psd)</option>
        </select>
      </div>
      <div className="tool-group">
        {tools.map((tool) => (
          <button
            key={tool.id}
            type="button"
            aria-label={tool.label}
            title={`${tool.label} (${tool.key})`}
            aria-pressed={editor.toolId === tool.id}
            data-testid={`tools.${tool.id}`}
            onClick={() => editor.setTool(tool.id)}
          >
            {tool.label}
          </button>
        ))}
      </div>
      <div className="tool-group">
        <label>
          <span>Size</span>
          <input
            type="range"
            aria-label="Brush size"
            min={1}
            max={512}
            value={editor.brush.size}
            onChange={(event) => editor.setBrushSize(Number(event.target.value))}
          />
          <output>{editor.brush.size}</output>
        </label>
        <label>
          <span>Hardness</span>
          <input
            type="range"
            aria-label="Brush hardness"
            min={0}
            max={100}
            value={Math.round(editor.brush.hardness * 100)}
            onChange={(event) => editor.setBrushHardness(Number(event.target.value) / 100)}
          />
        </label>
      </div>
      <div className="tool-group">
        <button type="button" aria-label="Invert mask" onClick={() => editor.invertMask()}>
          Invert mask
        </button>
        <button type="button" aria-label="Clear mask" onClick={() => editor.clearMask()}>
          Clear mask
        </button>
        <button type="button" onClick={() => editor.fitFrameToMask()}>
          Fit frame
        </button>
      </div>
      <div className="tool-group">
        <button
          type="button"
          aria-label="Undo"
          title={editor.history.nextUndoLabel ? `Undo ${editor.history.nextUndoLabel}` : 'Undo'}
          disabled={!editor.history.canUndo}
          onClick={() => editor.undo()}
        >
          Undo
        </button>
        <button
          type="button"
          aria-label="Redo"
          title={editor.history.nextRedoLabel ? `Redo ${editor.history.nextRedoLabel}` : 'Redo'}
          disabled={!editor.history.canRedo}
          onClick={() => editor.redo()}
        >
          Redo
        </button>
        <button type="button" onClick={() => editor.zoomToFit()}>
          Fit
        </button>
        <button type="button" onClick={() => editor.zoomToActualSize()}>
          100%
        </button>
        <button type="button" aria-label="Shortcuts" onClick={onToggleHelp}>
          ?
        </button>
      </div>
    </div>
  )
}
