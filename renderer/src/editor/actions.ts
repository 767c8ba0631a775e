import type { MenuCommand } from '../../../contract/ipc'
import type { Editor, KeyInput } from './Editor'
import { canvasSides } from './parts/CanvasOperations'
import type { ToolId } from './tools/Tool'

/** One key combination. `mod` is Ctrl on Windows and Linux, Cmd on macOS. */
export interface KeyChord {
  readonly key: string
  readonly mod?: boolean
  readonly shift?: boolean
  readonly alt?: boolean
}

export type ActionGroup =
  'file' | 'edit' | 'generate' | 'tools' | 'mask' | 'layers' | 'canvas' | 'results' | 'view'

export const actionGroupLabels: Record<ActionGroup, string> = {
  file: 'File',
  edit: 'Edit',
  generate: 'Generate',
  tools: 'Tools',
  mask: 'Mask',
  layers: 'Layers',
  canvas: 'Canvas',
  results: 'Results',
  view: 'View',
}

/** What the toolbar, menus, keyboard and shortcuts panel know about an action. */
export interface ActionDefinition {
  readonly id: string
  /** the button's accessible name and the shortcuts panel's text */
  readonly label: string
  readonly group: ActionGroup
  readonly keys?: readonly KeyChord[]
  /** how the shortcuts panel writes its keys, where the first chord alone would mislead ("1–8") */
  readonly keysText?: string
  /** the app menu command (`menu.command` event) that runs it */
  readonly menuCommand?: MenuCommand
  /** longer text for the shortcuts panel, when the label is not enough */
  readonly description?: string
  /**
   * Actions the app provides (files, dialogs): the engine knows their name and keys; the view
   * binds what they do with {@link ActionRegistry.bind}. Unbound, they are disabled.
   */
  readonly app?: boolean
  /**
   * Its keys work while a text field has the focus too: they type nothing there, and someone who
   * has just typed a prompt or a seed expects Ctrl+Enter to generate and Ctrl+S to save.
   */
  readonly inTextFields?: boolean
}

interface ActionSpec extends ActionDefinition {
  enabled?(editor: Editor): boolean
  checked?(editor: Editor): boolean
  run?(editor: Editor, input?: KeyInput): boolean | void
}

/** An action bound to one editor. */
export interface EditorAction extends ActionDefinition {
  /** the first key chord as the user reads it ("Ctrl/Cmd+Z"), or null */
  readonly shortcut: string | null
  enabled(): boolean
  /** for toggles and tools: whether it is on now; undefined for plain commands */
  checked(): boolean | undefined
  /** Runs it if enabled; true when it ran. */
  run(input?: KeyInput): boolean
}

const tool = (id: ToolId, label: string, key: string, description?: string): ActionSpec => ({
  id: `tool.${id}`,
  label,
  group: 'tools',
  keys: [{ key }],
  ...(description ? { description } : {}),
  checked: (editor) => editor.toolId === id,
  run: (editor) => editor.setTool(id),
})

const nudge = (id: string, label: string, key: string, dx: number, dy: number): ActionSpec => ({
  id: `layer.nudge-${id}`,
  label,
  group: 'layers',
  keys: [{ key }, { key, shift: true }],
  description: `${label} 1 px (Shift: 10 px), with the Move tool`,
  enabled: (editor) => editor.toolId === 'move' && editor.movableLayer !== undefined,
  run: (editor, input) => {
    const step = input?.shiftKey ? 10 : 1
    return editor.nudgeLayer(dx * step, dy * step)
  },
})

const hasActiveLayer = (editor: Editor): boolean => editor.activeLayer !== undefined

/**
 * Every command of the editor, once. Order matters where two share a key: the first enabled one
 * wins (arrow keys nudge with the Move tool, otherwise they browse staged results).
 */
const actionSpecs: readonly ActionSpec[] = [
  { id: 'file.new', label: 'New', group: 'file', app: true },
  {
    id: 'file.open',
    inTextFields: true,
    label: 'Open',
    group: 'file',
    app: true,
    keys: [{ key: 'o', mod: true }],
    menuCommand: 'open',
  },
  {
    id: 'file.save',
    inTextFields: true,
    label: 'Save',
    group: 'file',
    app: true,
    keys: [{ key: 's', mod: true }],
    menuCommand: 'save',
  },
  {
    id: 'file.save-as',
    inTextFields: true,
    label: 'Save as…',
    group: 'file',
    app: true,
    keys: [{ key: 's', mod: true, shift: true }],
    menuCommand: 'saveAs',
    description: 'Save to a new file (in browser mode: a download, as Save)',
  },
  { id: 'file.export-png', label: 'Export PNG', group: 'file', app: true, menuCommand: 'export' },
  {
    id: 'edit.undo',
    label: 'Undo',
    group: 'edit',
    keys: [{ key: 'z', mod: true }],
    menuCommand: 'undo',
    enabled: (editor) => editor.history.canUndo,
    run: (editor) => editor.undo(),
  },
  {
    id: 'edit.redo',
    label: 'Redo',
    group: 'edit',
    keys: [
      { key: 'z', mod: true, shift: true },
      { key: 'y', mod: true },
    ],
    menuCommand: 'redo',
    enabled: (editor) => editor.history.canRedo,
    run: (editor) => editor.redo(),
  },
  {
    id: 'edit.copy',
    label: 'Copy',
    group: 'edit',
    app: true,
    keys: [{ key: 'c', mod: true }],
    description: 'Copy the layer, or the result on view, to the clipboard as a picture',
  },
  {
    id: 'edit.copy-merged',
    label: 'Copy merged',
    group: 'edit',
    app: true,
    keys: [{ key: 'c', mod: true, shift: true }],
    menuCommand: 'copyMerged',
    description: 'Copy the visible layers, flattened, to the clipboard as a picture',
  },
  {
    id: 'generate.run',
    inTextFields: true,
    label: 'Generate',
    group: 'generate',
    app: true,
    keys: [{ key: 'Enter', mod: true }],
    description:
      'Generate with the prompt panel as it is, from anywhere (after painting a mask, say)',
  },
  {
    id: 'edit.escape',
    label: 'Cancel',
    group: 'edit',
    keys: [{ key: 'Escape' }],
    description: 'Cancel the drag, or discard the results',
    enabled: (editor) => editor.isInteracting || editor.stagedBatch !== undefined,
    run: (editor) => editor.cancelInteraction() || editor.discardStaged(),
  },
  tool('brush', 'Brush', 'b', 'Brush: paint the mask (Alt: erase)'),
  tool('eraser', 'Eraser', 'e', 'Eraser: erase the mask'),
  tool('rect-mask', 'Rectangle mask', 'r', 'Rectangle mask (Alt: erase)'),
  tool('frame', 'Generation frame', 'f', 'Generation frame: move, resize at corners'),
  tool(
    'paint',
    'Paint',
    'p',
    'Paint on the active layer in the colour chosen (Alt: erase it; Ctrl/Cmd+click: pick a colour)',
  ),
  tool(
    'move',
    'Move',
    'v',
    'Move: drag the active layer (Shift: straight); drag a corner of its box to scale it (Shift: free)',
  ),
  tool('pan', 'Pan', 'h'),
  {
    id: 'brush.smaller',
    label: 'Smaller brush',
    group: 'tools',
    keys: [{ key: '[' }],
    run: (editor) => editor.setBrushSize(editor.brush.size / 1.2),
  },
  {
    id: 'brush.larger',
    label: 'Larger brush',
    group: 'tools',
    keys: [{ key: ']' }],
    run: (editor) => editor.setBrushSize(Math.max(editor.brush.size + 1, editor.brush.size * 1.2)),
  },
  nudge('left', 'Nudge left', 'ArrowLeft', -1, 0),
  nudge('right', 'Nudge right', 'ArrowRight', 1, 0),
  nudge('up', 'Nudge up', 'ArrowUp', 0, -1),
  nudge('down', 'Nudge down', 'ArrowDown', 0, 1),
  {
    id: 'results.previous',
    label: 'Previous result',
    group: 'results',
    keys: [{ key: 'ArrowLeft' }],
    enabled: (editor) => editor.stagedBatch !== undefined,
    run: (editor) => editor.browseStaged(-1),
  },
  {
    id: 'results.next',
    label: 'Next result',
    group: 'results',
    keys: [{ key: 'ArrowRight' }],
    enabled: (editor) => editor.stagedBatch !== undefined,
    run: (editor) => editor.browseStaged(1),
  },
  {
    id: 'results.show-number',
    label: 'Show result by number',
    group: 'results',
    keys: ['1', '2', '3', '4', '5', '6', '7', '8'].map((key) => ({ key })),
    keysText: '1–8',
    description: 'Show that result of the batch (as a click on its thumbnail)',
    enabled: (editor) => (editor.stagedBatch?.candidates.length ?? 0) > 1,
    run: (editor, input) => editor.showStaged(Number(input?.key) - 1),
  },
  {
    id: 'results.compare',
    label: 'Show original',
    group: 'results',
    keys: [{ key: '\\' }],
    description: 'Hide the result on view to see the picture under it; again to show it',
    enabled: (editor) => editor.stagedBatch !== undefined,
    checked: (editor) => editor.stagedOriginalShown,
    run: (editor) => editor.toggleStagedOriginal(),
  },
  {
    id: 'results.accept',
    label: 'Accept',
    group: 'results',
    keys: [{ key: 'Enter' }],
    description: 'Accept the shown result as a layer',
    enabled: (editor) => editor.stagedCandidate !== undefined && editor.layerRoom > 0,
    run: (editor) => editor.acceptStaged(),
  },
  {
    id: 'results.accept-all',
    label: 'Accept all',
    group: 'results',
    description: 'Every result becomes a layer: the shown one visible, the others hidden',
    enabled: (editor) => (editor.stagedBatch?.candidates.length ?? Infinity) <= editor.layerRoom,
    run: (editor) => editor.acceptAllStaged(),
  },
  {
    id: 'mask.invert',
    label: 'Invert mask',
    group: 'mask',
    keys: [{ key: 'i', mod: true }],
    run: (editor) => editor.invertMask(),
  },
  {
    id: 'mask.clear',
    label: 'Clear mask',
    group: 'mask',
    keys: [{ key: 'Delete' }, { key: 'Backspace' }],
    enabled: (editor) => editor.document.mask.allocatedTileCount > 0,
    run: (editor) => editor.clearMask(),
  },
  {
    id: 'mask.fill-colour',
    label: 'Fill with colour',
    group: 'mask',
    keys: [{ key: 'Backspace', alt: true }],
    description:
      'Fill the masked part of the active layer with the Paint colour (a clean shape to refine)',
    enabled: (editor) =>
      editor.document.mask.allocatedTileCount > 0 && editor.paintRefusal === null,
    run: (editor) => editor.fillMaskWithColour(),
  },
  {
    id: 'mask.fit-frame',
    label: 'Fit frame',
    group: 'mask',
    description: 'Fit the generation frame around the mask',
    enabled: (editor) => editor.document.mask.allocatedTileCount > 0,
    run: (editor) => editor.fitFrameToMask(),
  },
  {
    id: 'mask.overlay',
    label: 'Show mask',
    group: 'mask',
    keys: [{ key: 'm' }],
    description: 'Show or hide the mask overlay',
    checked: (editor) => editor.maskOverlayVisible,
    run: (editor) => editor.setMaskOverlayVisible(!editor.maskOverlayVisible),
  },
  {
    id: 'layer.add',
    label: 'Add layer',
    group: 'layers',
    enabled: (editor) => editor.layerRoom > 0,
    run: (editor) => void editor.addLayer(),
  },
  {
    id: 'layer.duplicate',
    label: 'Duplicate layer',
    group: 'layers',
    keys: [{ key: 'j', mod: true }],
    enabled: (editor) => hasActiveLayer(editor) && editor.layerRoom > 0,
    run: (editor) => editor.activeLayerId !== null && !!editor.duplicateLayer(editor.activeLayerId),
  },
  {
    id: 'layer.delete',
    label: 'Delete layer',
    group: 'layers',
    enabled: (editor) => editor.activeLayer !== undefined && !editor.activeLayer.locked,
    run: (editor) => editor.activeLayerId !== null && editor.deleteLayer(editor.activeLayerId),
  },
  {
    id: 'layer.merge-down',
    label: 'Merge down',
    group: 'layers',
    keys: [{ key: 'e', mod: true }],
    description: 'Merge the active layer into the one below',
    enabled: (editor) => editor.mergeDownTarget() !== undefined,
    run: (editor) => editor.mergeDown(),
  },
  {
    id: 'layer.flatten',
    label: 'Flatten',
    group: 'layers',
    keys: [{ key: 'e', mod: true, shift: true }],
    description: 'Flatten the visible layers into one (hidden layers are dropped)',
    enabled: (editor) => editor.canFlatten,
    run: (editor) => editor.flatten(),
  },
  {
    id: 'canvas.size',
    label: 'Canvas size',
    group: 'canvas',
    app: true,
    keys: [{ key: 'c', mod: true, alt: true }],
    description: 'Canvas size: enlarge to add room to outpaint, or shrink',
  },
  ...canvasSides.map((side): ActionSpec => ({
    id: `canvas.extend-${side}`,
    label: `Extend ${side}`,
    group: 'canvas',
    description: `Extend ${side}: room for half the frame, with the frame over it and the picture's edge (Generate outpaints it)`,
    enabled: (editor) => editor.canExtend(side),
    run: (editor) => {
      if (!editor.extendCanvas(side)) return false
      // The new room and the frame over it are what comes next: show the whole canvas.
      editor.zoomToFit()
      return true
    },
  })),
  {
    id: 'canvas.crop-to-frame',
    label: 'Crop to frame',
    group: 'canvas',
    run: (editor) => editor.cropToFrame(),
  },
  {
    id: 'view.zoom-in',
    label: 'Zoom in',
    group: 'view',
    keys: [
      { key: '=', mod: true },
      { key: '+', mod: true },
    ],
    menuCommand: 'zoomIn',
    run: (editor) => editor.zoomBy(1.25),
  },
  {
    id: 'view.zoom-out',
    label: 'Zoom out',
    group: 'view',
    keys: [{ key: '-', mod: true }],
    menuCommand: 'zoomOut',
    run: (editor) => editor.zoomBy(0.8),
  },
  {
    id: 'view.fit',
    label: 'Fit',
    group: 'view',
    keys: [{ key: '0', mod: true }],
    description: 'Zoom to fit',
    run: (editor) => editor.zoomToFit(),
  },
  {
    id: 'view.actual-size',
    label: '100%',
    group: 'view',
    keys: [{ key: '1', mod: true }],
    menuCommand: 'zoomReset',
    description: 'Zoom to 100 %',
    run: (editor) => editor.zoomToActualSize(),
  },
  {
    id: 'view.shortcuts',
    label: 'Shortcuts',
    group: 'view',
    app: true,
    keys: [{ key: '?' }],
    description: 'Show or hide this list',
  },
]

const keyNames: Record<string, string> = {
  ArrowLeft: '←',
  ArrowRight: '→',
  ArrowUp: '↑',
  ArrowDown: '↓',
  Escape: 'Esc',
  Delete: 'Delete',
  Backspace: 'Backspace',
  Enter: 'Enter',
}

export function describeChord(chord: KeyChord): string {
  const name = keyNames[chord.key] ?? (chord.key.length === 1 ? chord.key.toUpperCase() : chord.key)
  return [chord.mod ? 'Ctrl/Cmd' : '', chord.shift ? 'Shift' : '', chord.alt ? 'Alt' : '', name]
    .filter(Boolean)
    .join('+')
}

function shortcutOf(definition: ActionDefinition): string | null {
  if (definition.keysText) return definition.keysText
  return definition.keys?.[0] ? describeChord(definition.keys[0]) : null
}

/** Every action as the shortcuts panel lists it. */
export const actionDefinitions: readonly (ActionDefinition & { shortcut: string | null })[] =
  actionSpecs.map(({ enabled: _enabled, checked: _checked, run: _run, ...definition }) => ({
    ...definition,
    shortcut: shortcutOf(definition),
  }))

/** Pointer gestures the shortcuts panel lists beside the actions. */
export const gestures: readonly { keys: string; description: string }[] = [
  { keys: 'Space+drag, middle button', description: 'Pan with any tool' },
  { keys: 'Wheel', description: 'Zoom at the pointer' },
  {
    keys: 'Alt+drag',
    description: 'Brush, Rectangle mask: erase the mask; Paint: erase the layer',
  },
  { keys: 'Ctrl/Cmd+click', description: 'Paint: pick the colour the canvas shows' },
]

/** Letters compare with Shift; other printed characters carry Shift in the character itself. */
export function chordMatches(chord: KeyChord, input: KeyInput): boolean {
  const key = input.key.length === 1 ? input.key.toLowerCase() : input.key
  if (key !== chord.key) return false
  if (Boolean(input.ctrlKey || input.metaKey) !== Boolean(chord.mod)) return false
  if (Boolean(input.altKey) !== Boolean(chord.alt)) return false
  const printedSymbol = key.length === 1 && key.toLowerCase() === key.toUpperCase()
  return printedSymbol || Boolean(input.shiftKey) === Boolean(chord.shift)
}

type AppHandlers = Partial<Record<string, () => void>>

/**
 * The one list of commands behind the toolbar, the layers panel, the app menu, the keyboard and
 * the shortcuts panel. Engine actions run on the editor; app actions (files, dialogs) run what
 * the view bound to them.
 */
export class ActionRegistry {
  private readonly actions: EditorAction[]
  private readonly byId = new Map<string, EditorAction>()
  private handlers: AppHandlers = {}

  constructor(private readonly editor: Editor) {
    this.actions = actionSpecs.map((spec) => this.bindSpec(spec))
    for (const action of this.actions) this.byId.set(action.id, action)
  }

  private bindSpec(spec: ActionSpec): EditorAction {
    const { enabled, checked, run, ...definition } = spec
    const editor = this.editor
    const isEnabled = (): boolean =>
      spec.app ? this.handlers[spec.id] !== undefined : (enabled?.(editor) ?? true)
    return {
      ...definition,
      shortcut: shortcutOf(definition),
      enabled: isEnabled,
      checked: () => checked?.(editor),
      run: (input) => {
        if (!isEnabled()) return false
        if (spec.app) {
          this.handlers[spec.id]?.()
          return true
        }
        return run?.(editor, input) !== false
      },
    }
  }

  /** What the view does for app actions (`file.open`, `canvas.size`, …); returns an unbind. */
  bind(handlers: AppHandlers): () => void {
    for (const id of Object.keys(handlers)) {
      if (!this.byId.get(id)?.app) throw new RangeError(`${id} is not an app action`)
    }
    this.handlers = { ...this.handlers, ...handlers }
    this.editor.notifyActionsChanged()
    return () => {
      const next = { ...this.handlers }
      for (const [id, handler] of Object.entries(handlers)) {
        if (next[id] === handler) delete next[id]
      }
      this.handlers = next
      this.editor.notifyActionsChanged()
    }
  }

  list(): readonly EditorAction[] {
    return this.actions
  }

  inGroup(group: ActionGroup): EditorAction[] {
    return this.actions.filter((action) => action.group === group)
  }

  get(id: string): EditorAction {
    const action = this.byId.get(id)
    if (!action) throw new RangeError(`no action ${id}`)
    return action
  }

  run(id: string, input?: KeyInput): boolean {
    return this.get(id).run(input)
  }

  /**
   * The first enabled action whose key matches runs; true when one did. With the focus in a text
   * field only the actions marked {@link ActionDefinition.inTextFields} are candidates.
   */
  handleKey(input: KeyInput, inTextField = false): boolean {
    for (const action of this.actions) {
      if (inTextField && !action.inTextFields) continue
      if (!action.keys?.some((chord) => chordMatches(chord, input))) continue
      if (action.enabled()) return action.run(input)
    }
    return false
  }

  /** An app menu command (`menu.command` event); true when an action ran. */
  runMenuCommand(command: MenuCommand): boolean {
    const action = this.actions.find((candidate) => candidate.menuCommand === command)
    return action ? action.run() : false
  }
}
