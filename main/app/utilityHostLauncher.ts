import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { utilityProcess } from 'electron'
import type { ChildLauncher, HostLauncher } from '../inference/client/hostClient'

/**
 * Starts the bundled inference host (out/main/host.cjs) as an Electron utilityProcess, in an empty
 * working directory of its own.
 */
export function utilityHostLauncher(hostEntry: string): HostLauncher {
  return utilityChildLauncher(hostEntry, [], 'Glide Studio inference')
}

/** A helper process from host.cjs in the role `args` name, as an Electron utilityProcess. */
export function utilityChildLauncher<Message>(
  hostEntry: string,
  args: readonly string[],
  serviceName: string,
): ChildLauncher<Message> {
  return (handlers) => {
    const cwd = mkdtempSync(join(tmpdir(), 'glide-host-'))
    const child = utilityProcess.fork(hostEntry, [...args], {
      cwd,
      serviceName,
      stdio: 'inherit',
    })
    child.on('message', (message: unknown) => handlers.onMessage(message))
    child.on('exit', (code: number) => {
      rmSync(cwd, { recursive: true, force: true })
      handlers.onExit(code)
    })
    return {
      send: (message) => child.postMessage(message),
      kill: () => void child.kill(),
    }
  }
}
