/** Every keyboard action of the editor, with the keys the help panel lists. */
export const shortcutList = [
  { action: 'undo', keys: 'Ctrl/Cmd+Z', description: 'Undo' },
  { action: 'redo', keys: 'Ctrl/Cmd+Shift+Z, Ctrl+Y', description: 'Redo' },
  { action: 'tool-brush', keys: 'B', description: 'Brush: paint the mask' },
  { action: 'tool-eraser', keys: 'E', description: 'Eraser: erase the mask' },
  { action: 'tool-rect', keys: 'R', description: 'Rectangle mask (Alt: erase)' },
  { action: 'tool-frame', keys: 'F', description: 'Generation frame: move, resize at corners' },
  { action: 'tool-pan', keys: 'H', description: 'Pan tool' },
  { action: 'pan', keys: 'Space+drag, middle button', description: 'Pan with any tool' },
  { action: 'zoom', keys: 'Wheel', description: 'Zoom at the pointer' },
  { action: 'brush-smaller', keys: '[', description: 'Smaller brush' },
  { action: 'brush-larger', keys: ']', description: 'Larger brush' },
  { action: 'zoom-fit', keys: 'Ctrl/Cmd+0', description: 'Zoom to fit' },
  { action: 'zoom-100', keys: 'Ctrl/Cmd+1', description: 'Zoom to 100 %' },
  { action: 'invert-mask', keys: 'Ctrl/Cmd+I', description: 'Invert mask' },
  { action: 'clear-mask', keys: 'Delete', description: 'Clear mask' },
  { action: 'staging-previous', keys: '←', description: 'Previous result' },
  { action: 'staging-next', keys: '→', description: 'Next result' },
  { action: 'accept', keys: 'Enter', description: 'Accept the shown result as a layer' },
  { action: 'escape', keys: 'Esc', description: 'Cancel the drag, or discard the results' },
] as const

export type ShortcutAction = Exclude<(typeof shortcutList)[number]['action'], 'pan' | 'zoom'>

interface KeyLike {
  readonly key: string
  readonly ctrlKey?: boolean
  readonly metaKey?: boolean
  readonly shiftKey?: boolean
  readonly altKey?: boolean
}

export function shortcutFor(input: KeyLike): ShortcutAction | null {
  const command = Boolean(input.ctrlKey || input.metaKey)
  const key = input.key.length === 1 ? input.key.toLowerCase() : input.key
  if (command) {
    if (key === 'z') return input.shiftKey ? 'redo' : 'undo'
    if (key === 'y') return 'redo'
    if (key === '0') return 'zoom-fit'
    if (key === '1') return 'zoom-100'
    if (key === 'i') return 'invert-mask'
    return null
  }
  if (input.altKey) return null
  switch (key) {
    case '[':
      return 'brush-smaller'
    case ']':
      return 'brush-larger'
    case 'b':
      return 'tool-brush'
    case 'e':
      return 'tool-eraser'
    case 'r':
      return 'tool-rect'
    case 'f':
      return 'tool-frame'
    case 'h':
      return 'tool-pan'
    case 'Delete':
    case 'Backspace':
      return 'clear-mask'
    case 'ArrowLeft':
      return 'staging-previous'
    case 'ArrowRight':
      return 'staging-next'
    case 'Enter':
      return 'accept'
    case 'Escape':
      return 'escape'
    default:
      return null
  }
}
