import { readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { describe, expect, it } from 'vitest'
// @ts-expect-error scripts/build.js is plain JavaScript without types
import { buildAll } from '../../scripts/build.js'

const out = (path: string) => readFileSync(new URL(`../../out/${path}`, import.meta.url), 'utf8')

function requiredModules(bundle: string): string[] {
  return [
    ...new Set([...bundle.matchAll(/\brequire\(["']([^"']+)["']\)/g)].map((match) => match[1]!)),
  ]
}

const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]))

describe('scripts/build.js bundles', () => {
  it('builds main, host and preload as CommonJS with only native modules left outside', async () => {
    await (buildAll as (options: { renderer: boolean }) => Promise<number>)({ renderer: false })
    const outside = (bundle: string) =>
      requiredModules(out(bundle)).filter((name) => !builtins.has(name))
    for (const name of outside('main/app.cjs')) expect(['electron', 'sharp']).toContain(name)
    expect(outside('main/app.cjs')).toContain('electron')
    expect(outside('main/app.cjs')).not.toContain('onnxruntime-node')
    for (const name of outside('main/host.cjs'))
      expect(['onnxruntime-node', 'sharp']).toContain(name)
    expect(outside('main/host.cjs')).toContain('onnxruntime-node')
    expect(outside('main/host.cjs')).not.toContain('electron')
  })

  it('bundles the sandboxed preload so that it requires nothing but electron', () => {
    expect(requiredModules(out('preload/preload.cjs'))).toEqual(['electron'])
  })
})
