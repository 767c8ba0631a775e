import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { rendererBuildIsStale } from '../../../main/server/rendererBuild'

/** A checkout with one renderer source and one contract file, all dated `sourcesAt` (seconds). */
function checkout(sourcesAt: number): { root: string; built: string } {
  const root = mkdtempSync(join(tmpdir(), 'glide-renderer-build-'))
  const files = [join(root, 'renderer', 'src', 'App.tsx'), join(root, 'contract', 'wire.ts')]
  for (const file of files) {
    mkdirSync(join(file, '..'), { recursive: true })
    writeFileSync(file, '// source\n')
    utimesSync(file, sourcesAt, sourcesAt)
  }
  return { root, built: join(root, 'out', 'renderer') }
}

function buildAt(built: string, at: number): void {
  mkdirSync(built, { recursive: true })
  writeFileSync(join(built, 'index.html'), '<!doctype html>')
  utimesSync(join(built, 'index.html'), at, at)
}

describe('rendererBuildIsStale (npm run serve rebuilds the page when it is stale)', () => {
  it('is stale with no build yet', () => {
    const { root, built } = checkout(1_000)
    expect(rendererBuildIsStale(root, built)).toBe(true)
  })

  it('is fresh when the build is newer than every source', () => {
    const { root, built } = checkout(1_000)
    buildAt(built, 2_000)
    expect(rendererBuildIsStale(root, built)).toBe(false)
  })

  it('is stale once a source the page is built from changes (a git pull)', () => {
    const { root, built } = checkout(1_000)
    buildAt(built, 2_000)
    const updated = join(root, 'contract', 'wire.ts')
    utimesSync(updated, 3_000, 3_000)
    expect(rendererBuildIsStale(root, built)).toBe(true)
  })

  it('ignores changes outside the renderer sources, and a packaged app without sources', () => {
    const { root, built } = checkout(1_000)
    buildAt(built, 2_000)
    mkdirSync(join(root, 'main'))
    writeFileSync(join(root, 'main', 'later.ts'), '// main only\n')
    expect(rendererBuildIsStale(root, built)).toBe(false)
    const packaged = mkdtempSync(join(tmpdir(), 'glide-packaged-'))
    buildAt(join(packaged, 'out', 'renderer'), 2_000)
    expect(rendererBuildIsStale(packaged, join(packaged, 'out', 'renderer'))).toBe(false)
  })
})
