import { fork } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { decoderRoleFlag } from '../../documents/decoder/protocol'
import type { ChildLauncher, HostLauncher } from './hostClient'

const hostEntry = fileURLToPath(new URL('../host/hostMain.ts', import.meta.url))

/**
 * Starts the inference host as a Node child process (browser mode, CLI, tests), running the
 * TypeScript entry through tsx. The host's working directory is an empty folder of its own, so
 * no relative path it might be handed resolves to anything of the user's.
 */
export function nodeHostLauncher(entry = hostEntry): HostLauncher {
  return nodeChildLauncher(entry, [])
}

/** Starts a helper process from the host's entry with `args` (its role) as a Node child. */
export function nodeChildLauncher<Message>(
  entry: string,
  args: readonly string[],
): ChildLauncher<Message> {
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
  return (handlers) => {
    const cwd = mkdtempSync(join(tmpdir(), 'glide-host-'))
    const child = fork(entry, [...args], {
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
        if (child.connected) child.send(message as object)
      },
      kill() {
        child.kill('SIGKILL')
      },
    }
  }
}

/** The document decoder (untrusted images and projects) as a Node child process. */
export function nodeDecoderLauncher<Message>(entry = hostEntry): ChildLauncher<Message> {
  return nodeChildLauncher(entry, [decoderRoleFlag])
}
