import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** What the renderer bundle is built from, relative to the checkout's root. */
export const rendererSources = [
  'renderer',
  'contract',
  'imaging',
  'vite.config.ts',
  'package-lock.json',
] as const

/**
 * Whether the built renderer in `builtDir` is missing or older than one of its sources under
 * `root` (after a `git pull`, say), so browser mode would serve a page from before the update.
 * An install without sources (a packaged app) is never stale.
 */
export function rendererBuildIsStale(root: string, builtDir: string): boolean {
  const index = statSync(join(builtDir, 'index.html'), { throwIfNoEntry: false })
  if (!index) return true
  return rendererSources.some((source) => newestChange(join(root, source)) > index.mtimeMs)
}

/** The latest modification time of a file, or of any file under a folder; 0 where none exists. */
function newestChange(path: string): number {
  const stats = statSync(path, { throwIfNoEntry: false })
  if (!stats) return 0
  if (!stats.isDirectory()) return stats.mtimeMs
  let newest = 0
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue
    newest = Math.max(newest, newestChange(join(path, entry.name)))
  }
  return newest
}
