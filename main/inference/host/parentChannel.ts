/**
 * The channel from a child process to main, whichever way it was started: an Electron
 * utilityProcess (process.parentPort) or a Node child (process.send). Messages are structured
 * clones both ways; the receiver parses each one.
 */
export interface ParentChannel<Outgoing> {
  /** Resolves once the message has left this process (Node) or was queued (Electron). */
  post(message: Outgoing): Promise<void>
  onMessage(listener: (raw: unknown) => void): void
}

interface UtilityParentPort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (event: { data: unknown }) => void): void
}

export function connectToParent<Outgoing>(): ParentChannel<Outgoing> {
  const parentPort = (process as { parentPort?: UtilityParentPort }).parentPort
  if (parentPort) {
    return {
      post: (message) => {
        parentPort.postMessage(message)
        return Promise.resolve()
      },
      onMessage: (listener) => parentPort.on('message', (event) => listener(event.data)),
    }
  }
  const send = process.send?.bind(process)
  if (!send) throw new Error('this process must be started by main (no IPC channel)')
  // The parent owns this process: when it goes, so do we.
  process.on('disconnect', () => process.exit(0))
  return {
    post: (message) =>
      new Promise<void>((resolve) => {
        // A parent that has gone drops the message; this process exits on 'disconnect'.
        send(message, undefined, undefined, () => resolve())
      }),
    onMessage: (listener) => process.on('message', listener),
  }
}
