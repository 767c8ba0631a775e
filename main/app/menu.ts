import type { MenuItemConstructorOptions } from 'electron'
import type { MenuCommand } from '../../contract/ipc'

/**
 * The application menu. Document commands go to the renderer as typed `menu.command` events;
 * zoom is the editor's (not Chromium's page zoom), so it is a command too.
 */
export function menuTemplate(
  send: (command: MenuCommand) => void,
  platform: NodeJS.Platform = process.platform,
): MenuItemConstructorOptions[] {
  const item = (
    label: string,
    accelerator: string,
    command: MenuCommand,
  ): MenuItemConstructorOptions => ({
    label,
    accelerator,
    click: () => send(command),
  })
  const mac = platform === 'darwin'
  return [
    ...(mac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        item('Open…', 'CmdOrCtrl+O', 'open'),
        item('Save', 'CmdOrCtrl+S', 'save'),
        item('Save As…', 'CmdOrCtrl+Shift+S', 'saveAs'),
        item('Export…', 'CmdOrCtrl+E', 'export'),
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit', label: 'Quit', accelerator: 'CmdOrCtrl+Q' },
      ],
    },
    {
      label: 'Edit',
      submenu: [
        item('Undo', 'CmdOrCtrl+Z', 'undo'),
        item('Redo', mac ? 'Shift+Cmd+Z' : 'Ctrl+Y', 'redo'),
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        item('Copy merged', 'CmdOrCtrl+Shift+C', 'copyMerged'),
        { role: 'paste' },
        { role: 'selectAll' },
      ],
    },
    {
      label: 'View',
      submenu: [
        item('Zoom in', 'CmdOrCtrl+=', 'zoomIn'),
        item('Zoom out', 'CmdOrCtrl+-', 'zoomOut'),
        item('Actual size', 'CmdOrCtrl+0', 'zoomReset'),
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
  ]
}
