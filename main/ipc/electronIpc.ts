import { ipcMain, type IpcMainInvokeEvent } from 'electron'
import { electronChannels } from '../../contract/ipc'
import { createRouter } from './router'
import { isAppSender, type SenderFrame } from './senderGuard'
import type { Handlers } from './services'

/**
 * Binds the router to Electron: one invoke channel carries `(channel, input)`; the sender frame
 * must be the app's top frame. Returns a function that unregisters it.
 */
export function registerElectronIpc(handlers: Handlers): () => void {
  const route = createRouter<SenderFrame | null>(handlers, isAppSender)
  ipcMain.handle(
    electronChannels.invoke,
    (event: IpcMainInvokeEvent, channel: unknown, input: unknown) =>
      route(channel, input, event.senderFrame),
  )
  return () => ipcMain.removeHandler(electronChannels.invoke)
}
