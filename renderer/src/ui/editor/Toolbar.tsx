import type { ReactNode } from 'react'
import { useEffect, useRef, useState } from 'react'
import type { ExportFormat } from '../../../../contract/documents'
import type { EditorAction } from '../../editor/actions'
import type { CanvasAnchor, Editor } from '../../editor/Editor'
import { maxDocumentSide } from '../../editor/EditorDocument'
import { hexOfRgb, rgbOfHex } from '../../editor/paintBrush'
import { canvasAnchors } from '../../editor/parts/CanvasOperations'
import { PixelSideField } from '../PixelSideField'
import { useEditorSnapshot } from './useEditor'
import { ZoomReadout } from './ZoomReadout'
import './editorActions.css'

export interface ToolbarProps {
  editor: Editor
  onNew(): void
  onOpen(): void
  onSave(): void
  /** Save to a new file, even when the document has one. */
  onSaveAs(): void
  onExport(format: ExportFormat): void
  onToggleHelp(): void
}

/** A button for one registry action: its label, shortcut, enabled and pressed state. */
export function ActionButton({
  action,
  children,
  testId,
  title,
}: {
  action: EditorAction
  children?: ReactNode
  testId?: string
  title?: string
}) {
  const checked = action.checked()
  const name = title ?? action.label
  return (
    <button
      type="button"
      aria-label={action.label}
      title={action.shortcut ? `${name} (${action.shortcut})` : name}
      disabled={!action.enabled()}
      {...(checked === undefined ? {} : { 'aria-pressed': checked })}
      {...(testId ? { 'data-testid': testId } : {})}
      onClick={() => action.run()}
    >
      {children ?? action.label}
    </button>
  )
}

/**
 * Tools, brush settings, mask, canvas, history and file actions, all drawn from the editor's
 * action registry. The toolbar also binds the app actions it was given (New, Open, Save, Export,
 * Shortcuts, Canvas size), so the keyboard and the app menu reach the same handlers.
 */
export function Toolbar({
  editor,
  onNew,
  onOpen,
  onSave,
  onSaveAs,
  onExport,
  onToggleHelp,
}: ToolbarProps) {
  useEditorSnapshot(editor)
  const [canvasFormOpen, setCanvasFormOpen] = useState(false)
  const handlers = useRef({ onNew, onOpen, onSave, onSaveAs, onExport, onToggleHelp })
  useEffect(() => {
    handlers.current = { onNew, onOpen, onSave, onSaveAs, onExport, onToggleHelp }
  })
  useEffect(
    () =>
      editor.actions.bind({
        'file.new': () => handlers.current.onNew(),
        'file.open': () => handlers.current.onOpen(),
        'file.save': () => handlers.current.onSave(),
        'file.save-as': () => handlers.current.onSaveAs(),
        'file.export-png': () => handlers.current.onExport('png'),
        'view.shortcuts': () => handlers.current.onToggleHelp(),
        'canvas.size': () => setCanvasFormOpen(true),
      }),
    [editor],
  )
  const actions = editor.actions
  const group = (name: Parameters<typeof actions.inGroup>[0]) => actions.inGroup(name)
  const button = (id: string, children?: ReactNode) => (
    <ActionButton action={actions.get(id)}>{children}</ActionButton>
  )
  const undo = actions.get('edit.undo')
  const redo = actions.get('edit.redo')
  return (
    <div className="editor-toolbar" role="toolbar" aria-label="Tools">
      <div className="tool-group">
        {button('file.new')}
        {button('file.open')}
        {button('file.save')}
        {button('file.export-png')}
        <select
          aria-label="Export"
          value=""
          onChange={(event) => {
            const choice = event.target.value
            // A menu, not a field: the editor's keys work again at once.
            event.target.blur()
            if (choice === 'copy' || choice === 'copy-merged') actions.run(`edit.${choice}`)
            else if (choice) onExport(choice as ExportFormat)
          }}
        >
          <option value="">Export…</option>
          <option value="png">PNG (composite)</option>
          <option value="layer-png">PNG (active layer)</option>
          <option value="jpeg">JPEG (on white)</option>
          <option value="webp">WebP</option>
          <option value="ora">OpenRaster (.ora)</option>
          <option value="psd">Photoshop (.psd)</option>
          <option value="copy-merged">Copy (composite)</option>
          <option value="copy">Copy (layer)</option>
        </select>
      </div>
      <div className="tool-group">
        {group('tools')
          .filter((action) => action.id.startsWith('tool.'))
          .map((action) => (
            <ActionButton
              key={action.id}
              action={action}
              testId={`tools.${action.id.slice('tool.'.length)}`}
            />
          ))}
      </div>
      <div className="tool-group">
        <ActionButton
          action={undo}
          title={editor.history.nextUndoLabel ? `Undo ${editor.history.nextUndoLabel}` : 'Undo'}
        />
        <ActionButton
          action={redo}
          title={editor.history.nextRedoLabel ? `Redo ${editor.history.nextRedoLabel}` : 'Redo'}
        />
        {button('view.fit')}
        {button('view.actual-size')}
        <ZoomReadout editor={editor} />
        {button('view.shortcuts', '?')}
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
        <label title="The Paint tool's colour (P paints, Alt erases, Ctrl/Cmd+click picks a colour from the canvas)">
          <span>Colour</span>
          <input
            type="color"
            aria-label="Paint colour"
            value={hexOfRgb(editor.paintColour)}
            onChange={(event) => {
              const colour = rgbOfHex(event.target.value)
              if (colour) editor.setPaintColour(colour)
            }}
          />
        </label>
      </div>
      <div className="tool-group">
        {group('mask').map((action) => (
          <ActionButton key={action.id} action={action} />
        ))}
      </div>
      <div className="tool-group">
        {group('canvas')
          .filter((action) => !action.id.startsWith('canvas.extend-'))
          .map((action) => (
            <ActionButton key={action.id} action={action}>
              {action.id === 'canvas.size' ? 'Canvas size…' : undefined}
            </ActionButton>
          ))}
        <select
          aria-label="Extend"
          title="Extend the canvas on one side to outpaint: the frame goes over the new room"
          value=""
          onChange={(event) => {
            event.target.blur()
            if (event.target.value) actions.get(event.target.value).run()
          }}
        >
          <option value="">Extend…</option>
          {group('canvas')
            .filter((action) => action.id.startsWith('canvas.extend-'))
            .map((action) => (
              <option key={action.id} value={action.id} disabled={!action.enabled()}>
                {extendOptionText[action.id] ?? action.label}
              </option>
            ))}
        </select>
      </div>
      {canvasFormOpen && (
        <CanvasSizeForm editor={editor} onClose={() => setCanvasFormOpen(false)} />
      )}
    </div>
  )
}

const extendOptionText: Record<string, string> = {
  'canvas.extend-left': '← Left',
  'canvas.extend-right': '→ Right',
  'canvas.extend-up': '↑ Up',
  'canvas.extend-down': '↓ Down',
}

const anchorLabels: Record<CanvasAnchor, string> = {
  'top-left': 'Top left',
  top: 'Top',
  'top-right': 'Top right',
  left: 'Left',
  centre: 'Centre',
  right: 'Right',
  'bottom-left': 'Bottom left',
  bottom: 'Bottom',
  'bottom-right': 'Bottom right',
}

/** Width, height and where the picture sits; new space is transparent (room to outpaint). */
function CanvasSizeForm({ editor, onClose }: { editor: Editor; onClose(): void }) {
  const [width, setWidth] = useState(String(editor.document.width))
  const [height, setHeight] = useState(String(editor.document.height))
  const [anchor, setAnchor] = useState<CanvasAnchor>('centre')
  const [error, setError] = useState<string | null>(null)
  return (
    <form
      className="canvas-size-form"
      aria-label="Canvas size"
      onSubmit={(event) => {
        event.preventDefault()
        const w = Number(width)
        const h = Number(height)
        const valid = (side: number) =>
          Number.isInteger(side) && side >= 1 && side <= maxDocumentSide
        if (!valid(w) || !valid(h)) {
          setError(`Width and height must be whole pixels between 1 and ${maxDocumentSide}.`)
          return
        }
        editor.resizeCanvasAnchored(w, h, anchor)
        onClose()
      }}
      onKeyDown={(event) => {
        event.stopPropagation()
        if (event.key === 'Escape') onClose()
      }}
    >
      <PixelSideField label="Width" max={maxDocumentSide} value={width} onValue={setWidth} />
      <PixelSideField label="Height" max={maxDocumentSide} value={height} onValue={setHeight} />
      <label>
        Picture at
        <select value={anchor} onChange={(event) => setAnchor(event.target.value as CanvasAnchor)}>
          {canvasAnchors.map((value) => (
            <option key={value} value={value}>
              {anchorLabels[value]}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Apply</button>
      <button type="button" onClick={onClose}>
        Cancel
      </button>
      {error && <span role="alert">{error}</span>}
    </form>
  )
}
