/**
 * The only bridge between the sandboxed renderer and main: `window.glide`, built from the contract.
 * No ipcRenderer, no channel names of the page's choosing, and listeners never see the IPC event.
 * Bundled to out/preload/preload.cjs (a sandboxed preload can require only `electron`).
 */
import { contextBridge, ipcRenderer } from 'electron'
import { createGlideApi, electronChannels, isEventName, type EventName } from '../contract/ipc'

const listeners = new Map<EventName, Set<(payload: unknown) => void>>()

ipcRenderer.on(electronChannels.event, (_event, name: unknown, payload: unknown) => {
  if (!isEventName(name)) return
  for (const listener of listeners.get(name) ?? []) listener(payload)
})

const glide = createGlideApi(
  (channel, input) => ipcRenderer.invoke(electronChannels.invoke, channel, input),
  (event, listener) => {
    let set = listeners.get(event)
    if (!set) listeners.set(event, (set = new Set()))
    set.add(listener)
    return () => set.delete(listener)
  },
)

contextBridge.exposeInMainWorld('glide', glide)
