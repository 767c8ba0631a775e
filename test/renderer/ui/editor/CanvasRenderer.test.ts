import { build } from 'esbuild'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchChromium } from '../../../helpers/browser'
import type { RendererLifecycle } from './canvasLifecyclePage'
import type { PaintRedrawResult } from './paintRedrawPage'

// Konva needs a DOM and a canvas, so the modules run in headless Chromium (bundled with esbuild).
let browser: Browser
let page: Page

beforeAll(async () => {
  const bundle = await build({
    entryPoints: ['./canvasLifecyclePage.ts', './paintRedrawPage.ts'].map(
      (page) => new URL(page, import.meta.url).pathname,
    ),
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2022',
    logLevel: 'warning',
    outdir: 'pages',
  })
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 400, height: 400 } })
  await page.setContent(
    '<!doctype html><body style="margin:0"><div id="host" style="width:400px;height:400px"></div></body>',
  )
  for (const script of bundle.outputFiles) await page.addScriptTag({ content: script.text })
})

afterAll(async () => {
  await browser?.close()
})

describe('canvas renderer modules', () => {
  it('each module removes every node it mounted on destroy(); the renderer leaves no stage, element or editor listener', async () => {
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    const result = (await page.evaluate('window.runCanvasLifecycle()')) as RendererLifecycle
    expect(errors).toEqual([])
    expect(result.modules.map((module) => module.name)).toHaveLength(8)
    for (const module of result.modules) {
      expect(module.nodesMounted, module.name).toBeGreaterThan(0)
      expect(module.nodesLeft, module.name).toBe(0)
    }
    // Three layers and the modules' nodes while mounted; nothing afterwards.
    expect(result.stageNodes).toBeGreaterThanOrEqual(3 + 8)
    expect(result.containerChildrenBefore).toBe(1)
    expect(result.stageRegisteredBefore).toBe(true)
    expect(result.containerChildrenAfter).toBe(0)
    expect(result.stageRegisteredAfter).toBe(false)
    // An editor change draws a frame while mounted, and none once destroyed (unsubscribed).
    expect(result.framesForChangeWhileMounted).toBe(1)
    expect(result.framesForChangeAfterDestroy).toBe(0)
  })

  it('draws a Paint stroke only where it changed tiles, uploading only what changed: each frame the canvas a full redraw of fresh composites gives', async () => {
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    for (const [view, pixelRatio] of [
      ['fit', 1],
      ['zoomed', 1],
      ['fit', 2],
      ['zoomed', 1.5],
    ] as const) {
      const result = (await page.evaluate(
        `window.runPaintRedraw(${JSON.stringify(view)}, ${pixelRatio})`,
      )) as PaintRedrawResult
      const label = `${view} at pixel ratio ${pixelRatio} (scale ${result.scale})`
      expect(result.frames, label).toBe(23)
      if (view === 'fit') expect(result.drewOnlyChangedArea, label).toBe(true)
      else expect(result.scale, label).toBeGreaterThan(1)
      expect(result.framesUnlikeFullRedraw, label).toEqual([])
      expect(result.bitmapsLikeFreshComposites, label).toBe(true)
    }
    expect(errors).toEqual([])
  })
})
