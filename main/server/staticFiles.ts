import { readFile, realpath } from 'node:fs/promises'
import { join, sep } from 'node:path'

/**
 * Resolves a URL path to a file inside `root`, or null: no `..`, no encoded separators or NUL,
 * and no symlink that leads outside. "/" is index.html.
 */
export async function resolveStaticFile(root: string, urlPath: string): Promise<string | null> {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath)
  } catch {
    return null
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null
  const segments = decoded.split('/').filter((segment) => segment !== '')
  if (segments.some((segment) => segment === '..' || segment === '.')) return null
  const relative = segments.length === 0 ? ['index.html'] : segments
  try {
    const realRoot = await realpath(root)
    const real = await realpath(join(realRoot, ...relative))
    return real.startsWith(realRoot + sep) ? real : null
  } catch {
    return null
  }
}

export async function readStaticFile(
  root: string,
  urlPath: string,
): Promise<{ path: string; body: Buffer } | null> {
  const path = await resolveStaticFile(root, urlPath)
  if (!path) return null
  try {
    return { path, body: await readFile(path) }
  } catch {
    return null
  }
}
