import { mkdtempSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import sharp from 'sharp'
import { build } from 'vite'
import {
  startBrowserMode,
  type BrowserMode,
  type BrowserModeOptions,
} from '../../main/server/browserMode'

/** Debian's Chromium; CHROMIUM_PATH points elsewhere. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Headless Chromium with the flags this machine needs: no sandbox (root), no GPU, and none of the
 * background connections a closed network refuses.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
    ],
  })
}

/**
 * Builds the renderer into a new temp folder and returns it. vitest sets NODE_ENV=test; the page
 * runs React's production build, as users get it.
 */
export async function buildRenderer(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'glide-renderer-'))
  const nodeEnv = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  try {
    await build({
      configFile: new URL('../../vite.config.ts', import.meta.url).pathname,
      mode: 'production',
      build: { outDir, emptyOutDir: true, sourcemap: false },
      logLevel: 'warn',
    })
  } finally {
    process.env.NODE_ENV = nodeEnv
  }
  return outDir
}

/** How an e2e page is opened. */
export interface PageOptions {
  /** 1440×900 unless given. */
  viewport?: { width: number; height: number }
  acceptDownloads?: boolean
  /** Collects the page's uncaught errors (their messages). */
  pageErrors?: string[]
}

/** Opens `url` in a new page (its own context) and waits until the editor's canvas shows. */
export async function openPage(
  browser: Browser,
  url: string,
  { viewport = { width: 1440, height: 900 }, acceptDownloads, pageErrors }: PageOptions = {},
): Promise<Page> {
  const page = await browser.newPage({
    viewport,
    ...(acceptDownloads !== undefined ? { acceptDownloads } : {}),
  })
  if (pageErrors) page.on('pageerror', (error) => pageErrors.push(error.message))
  await page.goto(url)
  await page.getByTestId('editor.canvas').waitFor()
  return page
}

/** Browser mode with Chromium and one editor page on it; `close()` ends both. */
export interface BrowserModeSession {
  readonly mode: BrowserMode
  readonly browser: Browser
  readonly page: Page
  /** The page's uncaught errors. */
  readonly pageErrors: string[]
  close(): Promise<void>
}

/**
 * The setup most e2e files share: browser mode on a newly built renderer (unless `staticDir` is
 * given) and new empty models and config folders (unless given), Chromium, and a page showing the
 * editor. What it started is closed again if a later step fails.
 */
export async function openBrowserMode(
  options: BrowserModeOptions = {},
  pageOptions: Omit<PageOptions, 'pageErrors'> = {},
): Promise<BrowserModeSession> {
  const mode = await startBrowserMode({
    ...options,
    staticDir: options.staticDir ?? (await buildRenderer()),
    modelsDir: options.modelsDir ?? mkdtempSync(join(tmpdir(), 'glide-e2e-models-')),
    configDir: options.configDir ?? mkdtempSync(join(tmpdir(), 'glide-e2e-config-')),
  })
  let browser: Browser | undefined
  const close = async () => {
    await browser?.close()
    await mode.close()
  }
  try {
    browser = await launchChromium()
    const pageErrors: string[] = []
    const page = await openPage(browser, mode.server.url, { ...pageOptions, pageErrors })
    return { mode, browser, page, pageErrors, close }
  } catch (error) {
    await close()
    throw error
  }
}

/** The editor's canvas as shown on `page`, RGB bytes. */
export async function canvasPixels(page: Page): Promise<Buffer> {
  const png = await page.getByTestId('editor.canvas').screenshot()
  return sharp(png).removeAlpha().raw().toBuffer()
}

/** Writes a flat-coloured PNG of that size to `path` (a picture for the page to open). */
export async function writeFlatPng(
  path: string,
  width: number,
  height: number,
  colour: string,
): Promise<string> {
  const png = await sharp({ create: { width, height, channels: 4, background: colour } })
    .png()
    .toBuffer()
  await writeFile(path, png)
  return path
}

/** Opens a file through the toolbar's Open, as a person picks it in the file chooser. */
export async function openThroughPicker(page: Page, path: string): Promise<void> {
  const chooser = page.waitForEvent('filechooser')
  await page.getByRole('button', { name: 'Open', exact: true }).click()
  await (await chooser).setFiles(path)
}

/** Red pixels in a layer's thumbnail in the Layers panel (`index`: top first), from its canvas. */
export function thumbnailRedCount(page: Page, index: number): Promise<number> {
  return page
    .getByTestId('layers.thumbnail')
    .nth(index)
    .evaluate((node) => {
      const canvas = node as HTMLCanvasElement
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data
      let red = 0
      for (let i = 0; i < data.length; i += 4) {
        if (data[i]! > 200 && data[i + 1]! < 60 && data[i + 3]! > 200) red++
      }
      return red
    })
}
