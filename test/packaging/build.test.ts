import { existsSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { DocumentDecoderClient } from '../../main/documents/decoder/decoderClient'
import { decoderRoleFlag, type ToDecoder } from '../../main/documents/decoder/protocol'
import { nodeChildLauncher } from '../../main/inference/client/nodeHostLauncher'
import { defaultClipBpePath, loadClipTokenizer } from '../../main/engine/tokenizer/clipTokenizer'
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

  it('runs the bundled host.cjs as the document decoder when started with its flag', async () => {
    // The desktop app starts out/main/host.cjs twice: as the inference host, and with
    // --document-decoder (Electron's utilityProcess here is a Node child of the same file).
    const entry = fileURLToPath(new URL('../../out/main/host.cjs', import.meta.url))
    const decoder = new DocumentDecoderClient(
      nodeChildLauncher<ToDecoder>(entry, [decoderRoleFlag]),
    )
    try {
      const png = await sharp({
        create: { width: 6, height: 5, channels: 4, background: '#c0ffee' },
      })
        .png()
        .toBuffer()
      const image = await decoder.decodeImage(png, 'bundled.png')
      expect([image.width, image.height]).toEqual([6, 5])
      expect([...image.data.subarray(0, 4)]).toEqual([0xc0, 0xff, 0xee, 255])
      expect(decoder.pid).not.toBe(process.pid)
      await expect(
        decoder.decodeImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'v.svg'),
      ).rejects.toMatchObject({ code: 'UNSUPPORTED_FORMAT' })
    } finally {
      decoder.dispose()
    }
  })

  it('bundles the sandboxed preload so that it requires nothing but electron', () => {
    expect(requiredModules(out('preload/preload.cjs'))).toEqual(['electron'])
  })

  it('carries the CLIP merge list to where the bundled host looks for it', async () => {
    // The host runs CLIP guidance. Bundled, clipTokenizer's `new URL('./clip-bpe/…', import.meta.url)` is the bundle's own URL.
    const relative = './clip-bpe/bpe_simple_vocab_16e6.txt.gz'
    expect(out('main/host.cjs')).toContain(relative)
    const builtUrl = new URL(relative, new URL('../../out/main/host.cjs', import.meta.url))
    const built = fileURLToPath(builtUrl)
    expect(existsSync(built)).toBe(true)
    expect(existsSync(fileURLToPath(new URL('LICENSE', builtUrl)))).toBe(true)
    // The copy is the merge list itself: it tokenizes as the source's does.
    const caption = 'a yellow star on a light-blue sky'
    const [fromBuild, fromSource] = await Promise.all([
      loadClipTokenizer(built),
      loadClipTokenizer(defaultClipBpePath),
    ])
    expect(fromBuild.encode(caption)).toEqual(fromSource.encode(caption))
    expect(fromBuild.encode(caption).length).toBeGreaterThan(5)
  })
})
