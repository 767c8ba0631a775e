// Builds everything the desktop app runs: the renderer with Vite (out/renderer), and with esbuild
// the main process (out/main/app.cjs), the inference host (out/main/host.cjs) and the sandboxed
// preload (out/preload/preload.cjs). Native modules stay external and load from node_modules.
import console from 'node:console'
import { cpSync, rmSync } from 'node:fs'
import process from 'node:process'
import { build } from 'esbuild'
import { build as viteBuild } from 'vite'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

/** In CommonJS bundles import.meta.url is rebuilt from __filename, so `new URL(…, import.meta.url)` works. */
const importMetaUrl = {
  banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__importMetaUrl' },
}

/**
 * Files the code reads beside its source with `new URL('./…', import.meta.url)`. Bundled, that URL
 * is the bundle's own (out/main/*.cjs), so each is copied to the same place beside the bundles.
 */
export const bundledAssets = [
  // The CLIP tokenizer's merge list (main/engine/tokenizer/clipTokenizer.ts) and its licence.
  { from: 'main/engine/tokenizer/clip-bpe', to: 'out/main/clip-bpe' },
]

const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  legalComments: 'none',
}

export async function buildAll({ renderer = true } = {}) {
  const started = Date.now()
  if (renderer) await viteBuild({ configFile: `${root}/vite.config.ts`, logLevel: 'warn' })
  await Promise.all([
    build({
      ...common,
      ...importMetaUrl,
      entryPoints: ['main/app/index.ts'],
      outfile: 'out/main/app.cjs',
      platform: 'node',
      target: 'node22',
      external: ['electron', 'onnxruntime-node', 'sharp'],
    }),
    build({
      ...common,
      ...importMetaUrl,
      entryPoints: ['main/inference/host/hostMain.ts'],
      outfile: 'out/main/host.cjs',
      platform: 'node',
      target: 'node22',
      external: ['electron', 'onnxruntime-node', 'sharp'],
    }),
    build({
      ...common,
      entryPoints: ['preload/index.ts'],
      outfile: 'out/preload/preload.cjs',
      platform: 'node',
      target: 'chrome120',
      external: ['electron'],
    }),
  ])
  for (const { from, to } of bundledAssets) {
    rmSync(`${root}/${to}`, { recursive: true, force: true })
    cpSync(`${root}/${from}`, `${root}/${to}`, { recursive: true })
  }
  return Date.now() - started
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const ms = await buildAll({ renderer: !process.argv.includes('--no-renderer') })
  console.log(`Built out/ in ${ms} ms`)
}
