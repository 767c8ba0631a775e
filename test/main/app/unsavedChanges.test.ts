import type { MessageBoxSyncOptions } from 'electron'
import { describe, expect, it } from 'vitest'
import { confirmUnsavedLeave, leaveUnsavedDialog } from '../../../main/app/unsavedChanges'

describe('closing the desktop window with unsaved changes', () => {
  it('asks; only "Quit without saving" lets the window go, and says the copy is kept', () => {
    const asked: MessageBoxSyncOptions[] = []
    let ignored = 0
    const event = { preventDefault: () => ignored++ }
    expect(confirmUnsavedLeave(event, (options) => (asked.push(options), 1))).toBe(false)
    expect(ignored).toBe(0)
    expect(confirmUnsavedLeave(event, (options) => (asked.push(options), 0))).toBe(true)
    expect(ignored).toBe(1)
    expect(asked[0]).toBe(leaveUnsavedDialog)
    expect(leaveUnsavedDialog.buttons).toEqual(['Quit without saving', 'Cancel'])
    expect(leaveUnsavedDialog.cancelId).toBe(1)
    expect(leaveUnsavedDialog.detail).toMatch(/recovery copy is kept/)
  })
})
