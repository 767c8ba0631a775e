import type { MenuItemConstructorOptions } from 'electron'
import { describe, expect, it } from 'vitest'
import type { MenuCommand } from '../../../contract/ipc'
import { menuTemplate } from '../../../main/app/menu'

function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((item) => [
    item,
    ...flatten(Array.isArray(item.submenu) ? item.submenu : []),
  ])
}

describe('application menu', () => {
  it('has Open, Save, Save As, Export, Undo, Redo, Copy merged, Zoom and Quit with accelerators', () => {
    const items = flatten(menuTemplate(() => undefined, 'linux'))
    const byLabel = new Map(items.map((item) => [item.label, item]))
    for (const label of [
      'Open…',
      'Save',
      'Save As…',
      'Export…',
      'Undo',
      'Redo',
      'Copy merged',
      'Zoom in',
      'Zoom out',
      'Actual size',
      'Quit',
    ]) {
      expect(byLabel.get(label)?.accelerator, label).toBeTruthy()
    }
  })

  it('sends typed commands to the renderer', () => {
    const sent: MenuCommand[] = []
    const items = flatten(menuTemplate((command) => sent.push(command), 'linux'))
    for (const item of items) (item.click as (() => void) | undefined)?.()
    expect(sent).toEqual([
      'open',
      'save',
      'saveAs',
      'export',
      'undo',
      'redo',
      'copyMerged',
      'zoomIn',
      'zoomOut',
      'zoomReset',
    ])
  })

  it('uses the app menu and Close on macOS', () => {
    const items = flatten(menuTemplate(() => undefined, 'darwin'))
    expect(items.some((item) => item.role === 'appMenu')).toBe(true)
    expect(items.some((item) => item.role === 'quit')).toBe(false)
  })
})
