import { fork } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { HostLauncher } from './hostClient'

/**
 * Starts the inference host as a Node child process (browser mode, CLI, tests), running the
 * TypeScript entry through tsx. The host's working directory is an empty folder of its own, so
 * no relative path it might be handed resolves to anything of the user's.
 */
export function nodeHostLauncher(
  entry = fileURLToPath(new URL('../host/hostMain.ts', import.meta.url)),
): HostLauncher {
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
  return (handlers) => {
    const cwd = mkdtempSync(join(tmpdir(), 'glide-host-'))
    const child = fork(entry, [], {
      cwd,
      execArgv: entry.endsWith('.ts') ? ['--import', tsxLoader] : [],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    child.on('message', (message) => handlers.onMessage(message))
    child.on('exit', (code) => {
      rmSync(cwd, { recursive: true, force: true })
      handlers.onExit(code)
    })
    child.on('error', () => handlers.onExit(null))
    return {
      send(message) {
        if (child.connected) child.send(message)
      },
      kill() {
        child.kill('SIGKILL')
      },
    }
  }
}
