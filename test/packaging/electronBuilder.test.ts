import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'

/**
 * electron-builder.yml's invariants. The config is YAML; electron-builder ships js-yaml, which the
 * test borrows rather than adding a dependency.
 */
const { load } = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown }
const config = load(
  readFileSync(new URL('../../electron-builder.yml', import.meta.url), 'utf8'),
) as Record<string, unknown>
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  main: string
  scripts: Record<string, string>
}

type Target = { target: string }
const targets = (platform: string) =>
  ((config[platform] as { target: Target[] }).target ?? []).map((t) => t.target)

describe('electron-builder.yml', () => {
  it("passes electron-builder's own schema", async () => {
    const require = createRequire(import.meta.url)
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
      validateConfiguration(config: unknown, logger: unknown): Promise<void>
    }
    const { DebugLogger } = require('builder-util') as {
      DebugLogger: new (enabled: boolean) => unknown
    }
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined()
    await expect(
      validateConfiguration({ ...config, nsiss: {} }, new DebugLogger(false)),
    ).rejects.toThrow()
  })

  it('builds NSIS, DMG, AppImage and deb', () => {
    expect(targets('win')).toContain('nsis')
    expect(targets('mac')).toContain('dmg')
    expect(targets('linux')).toEqual(expect.arrayContaining(['AppImage', 'deb']))
  })

  it('unpacks the native modules from the asar archive', () => {
    expect(config.asar).toBe(true)
    const unpacked = config.asarUnpack as string[]
    expect(unpacked.some((glob) => glob.startsWith('node_modules/onnxruntime-node/'))).toBe(true)
    expect(unpacked.some((glob) => glob.startsWith('node_modules/sharp/'))).toBe(true)
  })

  it('ships GLIDE-mini as an extra resource where the app looks for it', () => {
    const resources = config.extraResources as Array<{ from: string; to: string }>
    expect(resources).toContainEqual(
      expect.objectContaining({ from: 'native-models/glide-mini', to: 'glide-mini' }),
    )
    const registry = readFileSync(new URL('../../main/jobs/nodeModels.ts', import.meta.url), 'utf8')
    expect(registry).toContain('/glide-mini`')
  })

  it('packages the built app and its entry point, without source maps', () => {
    const files = config.files as string[]
    expect(files).toContain('out/**/*')
    expect(files).toContain('!out/**/*.map')
    expect(pkg.main).toBe('out/main/app.cjs')
    expect(pkg.scripts.dist).toContain('electron-builder --config electron-builder.yml')
  })

  it('turns off the fuses that let the binary run as plain Node', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      grantFileProtocolExtraPrivileges: false,
    })
  })
})
