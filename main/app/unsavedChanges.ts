import type { MessageBoxSyncOptions } from 'electron'

/** The question the desktop app asks when a window with unsaved changes is closed or reloaded. */
export const leaveUnsavedDialog: MessageBoxSyncOptions = {
  type: 'warning',
  buttons: ['Quit without saving', 'Cancel'],
  defaultId: 1,
  cancelId: 1,
  noLink: true,
  title: 'Unsaved changes',
  message: 'This document has unsaved changes.',
  detail:
    'If you quit now, a recovery copy is kept and offered the next time Glide Studio starts. ' +
    'Cancel, then Save, to keep the changes in a file.',
}

/**
 * Electron's `will-prevent-unload` handler: the page's beforeunload guard said it has unsaved
 * changes; ask, and let the window go (preventDefault ignores the guard) only when the user says so.
 */
export function confirmUnsavedLeave(
  event: { preventDefault(): void },
  ask: (options: MessageBoxSyncOptions) => number,
): boolean {
  const leave = ask(leaveUnsavedDialog) === 0
  if (leave) event.preventDefault()
  return leave
}
