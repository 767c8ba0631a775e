import { lstatSync, readdirSync, readFileSync, type Stats } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/**
 * Runs electron-builder's own file filters (app-builder-lib, the version in package-lock.json)
 * over the installed onnxruntime-node package, as packing a node module does, and checks what
 * each platform's installer would carry. No Electron binary or packing needed.
 */

const root = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(import.meta.url)
// app-builder-lib is electron-builder's own dependency: resolve it (and js-yaml) from there.
const builderRequire = createRequire(
  createRequire(require.resolve('electron-builder')).resolve('app-builder-lib'),
)
const { load } = builderRequire('js-yaml') as { load(text: string): unknown }
const fileMatcher = builderRequire('./fileMatcher') as {
  getNodeModuleFileMatcher(
    appDir: string,
    destination: string,
    macroExpander: (pattern: string) => string,
    platformOptions: unknown,
    packager: unknown,
  ): { patterns: string[] }
  FileMatcher: new (
    from: string,
    to: string,
    macroExpander: (pattern: string) => string,
    patterns: string[],
  ) => { createFilter(): (file: string, stat: Stats) => boolean }
}

interface BuilderConfig {
  files: unknown[]
  win: { icon: string; target: Array<{ arch: string[] }> }
  mac: { icon: string; target: Array<{ arch: string[] }> }
  linux: { icon: string; target: Array<{ arch: string[] }> }
}
const config = load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig

const ortDir = join(root, 'node_modules', 'onnxruntime-node')
const binariesDir = join(ortDir, 'bin', 'napi-v6')

/** The onnxruntime-node files (relative to bin/napi-v6) a platform's installer would carry. */
function packedBinaries(platform: 'win' | 'mac' | 'linux'): string[] {
  const expand = (pattern: string) => pattern
  const moduleMatcher = fileMatcher.getNodeModuleFileMatcher(
    root,
    '/app',
    expand,
    config[platform],
    {
      config,
      debugLogger: { isEnabled: false },
    },
  )
  const destination = 'node_modules/onnxruntime-node'
  const filter = new fileMatcher.FileMatcher(
    ortDir,
    `/app/${destination}`,
    expand,
    moduleMatcher.patterns,
  ).createFilter()
  const kept: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      const stat = lstatSync(path) as Stats & { moduleFullFilePath?: string }
      stat.moduleFullFilePath = join(destination, relative(ortDir, path))
      if (!filter(path, stat)) continue
      if (stat.isDirectory()) walk(path)
      else kept.push(relative(binariesDir, path))
    }
  }
  walk(binariesDir)
  return kept
}

const platformDirs = { win: 'win32/x64/', mac: 'darwin/arm64/', linux: 'linux/x64/' } as const

describe('electron-builder.yml', () => {
  it('every onnxruntime-node binary directory exists to be filtered', () => {
    for (const dir of Object.values(platformDirs)) {
      expect(readdirSync(join(binariesDir, dir))).toContain('onnxruntime_binding.node')
    }
  })

  for (const [platform, dir] of Object.entries(platformDirs) as Array<
    [keyof typeof platformDirs, string]
  >) {
    it(`packs only ${dir} onnxruntime binaries into the ${platform} installer`, () => {
      const kept = packedBinaries(platform)
      expect(kept).toContain(`${dir}onnxruntime_binding.node`)
      expect(kept.filter((file) => !file.startsWith(dir))).toEqual([])
      const all = readdirSync(join(binariesDir, dir))
      expect(kept).toHaveLength(all.length)
      // The installer's target architectures are the ones whose binaries it keeps.
      expect([...new Set(config[platform].target.flatMap((target) => target.arch))]).toEqual([
        dir.split('/')[1],
      ])
    })
  }

  it('names an icon for each platform', () => {
    expect(config.win.icon).toBe('build/icon.ico')
    expect(config.mac.icon).toBe('build/icon.icns')
    expect(config.linux.icon).toBe('build/icons')
  })

  it('ships as dependencies only the native modules the bundles leave external', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>
    }
    const buildScript = readFileSync(join(root, 'scripts', 'build.js'), 'utf8')
    const external = new Set(
      [...buildScript.matchAll(/external: \[([^\]]*)\]/g)].flatMap((match) =>
        [...(match[1] ?? '').matchAll(/'([^']+)'/g)].map((name) => name[1]),
      ),
    )
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['onnxruntime-node', 'sharp'])
    for (const name of Object.keys(pkg.dependencies)) expect(external).toContain(name)
  })
})
