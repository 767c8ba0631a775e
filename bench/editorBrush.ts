/**
 * Browser benchmark of the mask brush: `npx tsx bench/editorBrush.ts`. Bundles
 * bench/editorBrushPage.ts, opens it in headless Chromium (software rendering) and prints
 * per-frame work and delivered frame rate for a 4096² document with 20 layers. Not a test.
 */
import { cpus } from 'node:os'
import { build } from 'esbuild'
import { launchChromium } from '../test/helpers/browser'
import type { BrushBenchResult } from './editorBrushPage'

const bundle = await build({
  entryPoints: [new URL('./editorBrushPage.ts', import.meta.url).pathname],
  bundle: true,
  write: false,
  format: 'iife',
  target: 'es2022',
  logLevel: 'warning',
})
const script = bundle.outputFiles[0]?.text ?? ''
const browser = await launchChromium()
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.on('pageerror', (error) => console.error('page error:', error.message))
  await page.setContent(
    '<!doctype html><body style="margin:0"><div id="host" style="width:1280px;height:800px"></div></body>',
  )
  await page.addScriptTag({ content: script })
  const started = Date.now()
  const results = (await page.evaluate('window.runBrushBench()')) as BrushBenchResult[]
  const version = await browser.version()
  console.log(
    `editor brush benchmark — Chromium ${version}, software rendering, ${cpus().length} CPUs`,
  )
  console.log(
    'document 4096×4096, 20 full layers (19 translucent), viewport 1280×800, 4 pointer events a frame',
  )
  for (const result of results) {
    console.log(
      `${result.label.padEnd(36)} work/frame mean ${result.workMeanMs.toFixed(2)} ms, p95 ${result.workP95Ms.toFixed(2)} ms, max ${result.workMaxMs.toFixed(1)} ms; delivered ${result.deliveredFps.toFixed(1)} fps; first draw ${result.firstDrawMs.toFixed(0)} ms; bitmaps: ${result.compositeBitmaps} composite + ${result.maskBitmaps} mask tiles`,
    )
  }
  console.log(`total ${((Date.now() - started) / 1000).toFixed(1)} s`)
} finally {
  await browser.close()
}
