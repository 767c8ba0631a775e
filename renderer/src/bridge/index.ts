import { GlideError } from '../../../contract/errors'
import type { GlideApi, IpcResult } from '../../../contract/ipc'
import { createSocketBridge } from './socketBridge'

declare global {
  interface Window {
    /** Set by the Electron preload; in browser mode the bridge sets it over a WebSocket. */
    glide?: GlideApi
  }
}

let api: GlideApi | undefined

/** The app's API: the preload's in Electron, a WebSocket bridge in browser mode. */
export function getGlide(): GlideApi {
  if (!api) {
    if (window.glide) api = window.glide
    else {
      const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
      api = createSocketBridge(`${scheme}//${location.host}/ws`)
      window.glide = api
    }
  }
  return api
}

/** Unwraps a result, throwing its typed error. */
export async function unwrap<T>(pending: Promise<IpcResult<T>>): Promise<T> {
  const result = await pending
  if (result.ok) return result.value
  throw new GlideError(result.error.code, result.error.message)
}
