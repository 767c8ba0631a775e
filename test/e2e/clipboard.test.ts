/**
 * Copy and paste through the system clipboard, as a user of browser mode meets them: the built
 * renderer in Chromium at 1440×900 (clipboard access granted, as a browser grants it to a page the
 * person is using), main's services behind the loopback server, the small reference model for a
 * staged result. What is checked is what another app would get: the PNG on the clipboard.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  openBrowserMode,
  openThroughPicker,
  writeFlatPng,
  type BrowserModeSession,
} from '../helpers/browser'
import { referenceModelsDir } from './referenceModel'

const work = mkdtempSync(join(tmpdir(), 'glide-clipboard-e2e-'))
let session: BrowserModeSession
let page: Page
let pageErrors: string[]

beforeAll(async () => {
  session = await openBrowserMode({
    modelsDir: await referenceModelsDir(),
    configDir: join(work, 'config'),
  })
  page = session.page
  pageErrors = session.pageErrors
  // The page reads the clipboard only when asked to, so granting access after it loads is in time.
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: new URL(session.mode.server.url).origin,
  })
})

afterAll(async () => {
  await session?.close()
})

const layerItems = () => page.getByTestId('layers.item')
const messageBox = () => page.locator('.editor-message[role="status"]')
const message = () => messageBox().locator('span').first().textContent()

/** The picture on the clipboard as another app would paste it: size and RGBA bytes. */
async function clipboardPicture(): Promise<{ width: number; height: number; rgba: Buffer }> {
  // A read while a write is still landing fails ("Clipboard data has changed"): read again.
  const png = await page.evaluate(async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        for (const item of await navigator.clipboard.read()) {
          if (item.types.includes('image/png')) {
            return [...new Uint8Array(await (await item.getType('image/png')).arrayBuffer())]
          }
        }
        return null
      } catch (error) {
        if (attempt > 20) throw error
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
  })
  expect(png).not.toBeNull()
  const { data, info } = await sharp(Buffer.from(png!))
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
  return { width: info.width, height: info.height, rgba: data }
}

/**
 * Runs a copy and waits for its message: the write has landed on the clipboard by then (a read
 * before that could still see the previous copy).
 */
async function copyBy(action: () => Promise<void>): Promise<string> {
  const dismiss = messageBox().getByRole('button', { name: 'Dismiss' })
  if ((await dismiss.count()) > 0) await dismiss.click()
  await keysToThePage()
  await action()
  await expect.poll(() => messageBox().count()).toBe(1)
  return (await message()) ?? ''
}

const pressed = (keys: string) => () => page.keyboard.press(keys)

/** Takes focus out of any field, so keys reach the editor (a click on the canvas would paint). */
async function keysToThePage(): Promise<void> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
}

/** Puts a PNG on the clipboard, as copying a picture in another app does. */
async function clipboardHolds(png: Buffer): Promise<void> {
  await page.evaluate(
    async (bytes) => {
      const blob = new Blob([new Uint8Array(bytes)], { type: 'image/png' })
      await navigator.clipboard.write([new ClipboardItem({ 'image/png': blob })])
    },
    [...png],
  )
}

function pixelAt(picture: { width: number; rgba: Buffer }, x: number, y: number): number[] {
  const index = (y * picture.width + x) * 4
  return [...picture.rgba.subarray(index, index + 4)]
}

async function openPicture(width: number, height: number, colour: string, name: string) {
  await openThroughPicker(page, await writeFlatPng(join(work, name), width, height, colour))
  await expect.poll(() => layerItems().first().getAttribute('aria-label')).toBe(name.slice(0, -4))
}

describe('clipboard in browser mode', () => {
  it('Ctrl+V pastes a picture copied in another app as a layer, in the middle of the canvas', async () => {
    await openPicture(200, 150, '#87ceeb', 'sky.png')
    await clipboardHolds(
      await sharp({ create: { width: 40, height: 30, channels: 4, background: '#ff8000' } })
        .png()
        .toBuffer(),
    )
    await keysToThePage()
    await page.keyboard.press('Control+v')
    await expect.poll(() => layerItems().count()).toBe(2)
    await expect(layerItems().first().getAttribute('aria-label')).resolves.toBe('Pasted image')
  })

  it('Ctrl+C copies the active layer: the clipboard holds its pixels, trimmed to what it holds', async () => {
    const canvasBefore = await page.getByTestId('editor.canvas').boundingBox()
    expect(await copyBy(pressed('Control+c'))).toBe(
      'Copied “Pasted image” (40×30) to the clipboard',
    )
    // The message floats over the canvas: the picture does not move under the pointer.
    expect(await page.getByTestId('editor.canvas').boundingBox()).toEqual(canvasBefore)
    const copied = await clipboardPicture()
    expect([copied.width, copied.height]).toEqual([40, 30])
    expect(pixelAt(copied, 0, 0)).toEqual([255, 128, 0, 255])
    expect(pixelAt(copied, 39, 29)).toEqual([255, 128, 0, 255])
  })

  it('Copy merged (Ctrl+Shift+C, or Export… → Copy (composite)) copies the picture as it shows', async () => {
    expect(await copyBy(pressed('Control+Shift+C'))).toBe('Copied “sky” (200×150) to the clipboard')
    let merged = await clipboardPicture()
    expect([merged.width, merged.height]).toEqual([200, 150])
    expect(pixelAt(merged, 2, 2)).toEqual([0x87, 0xce, 0xeb, 255])
    // The pasted layer sits in the middle: 80..120 × 60..90.
    expect(pixelAt(merged, 100, 75)).toEqual([255, 128, 0, 255])
    expect(pixelAt(merged, 79, 75)).toEqual([0x87, 0xce, 0xeb, 255])

    // Hidden layers are left out, as on the canvas.
    await layerItems().first().getByRole('button', { name: /Hide/ }).click()
    await copyBy(async () => {
      await page.getByRole('combobox', { name: 'Export' }).selectOption('copy-merged')
    })
    merged = await clipboardPicture()
    expect(pixelAt(merged, 100, 75)).toEqual([0x87, 0xce, 0xeb, 255])
    expect([merged.width, merged.height]).toEqual([200, 150])
    await layerItems().first().getByRole('button', { name: /Show/ }).click()
  })

  it('after Export… → Copy the editor has the keys again (the menu lets go of the focus)', async () => {
    const menu = page.getByRole('combobox', { name: 'Export' })
    await menu.focus()
    await menu.selectOption('copy')
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('BODY')
  })

  it('what was copied pastes back as a layer with the same pixels', async () => {
    await copyBy(pressed('Control+c'))
    expect((await clipboardPicture()).width).toBe(40)
    await page.keyboard.press('Control+v')
    await expect.poll(() => layerItems().count()).toBe(3)
    expect(await copyBy(pressed('Control+c'))).toBe(
      'Copied “Pasted image” (40×30) to the clipboard',
    )
    const again = await clipboardPicture()
    expect([again.width, again.height]).toEqual([40, 30])
    expect(pixelAt(again, 20, 15)).toEqual([255, 128, 0, 255])
  })

  it('an empty layer: nothing is copied and the message says why', async () => {
    await page.getByRole('button', { name: 'Add layer' }).click()
    await expect.poll(() => layerItems().count()).toBe(4)
    expect(await copyBy(pressed('Control+c'))).toBe('Nothing to copy: the layer is empty.')
    // The clipboard still holds the last copy.
    expect((await clipboardPicture()).width).toBe(40)
  })

  it('with a result staged, Ctrl+C copies the result on view', async () => {
    const panel = page.getByRole('form', { name: 'Prompt panel' })
    await panel.getByLabel('Prompt', { exact: true }).fill('a blue square')
    await panel.getByRole('checkbox', { name: 'New seed each run' }).uncheck()
    await panel.getByLabel('Seed', { exact: true }).fill('31')
    await panel.getByLabel('Steps', { exact: true }).fill('3')
    await panel.getByLabel('Variations', { exact: true }).fill('1')
    await panel.getByRole('button', { name: 'Generate', exact: true }).click()
    const results = page.getByRole('group', { name: 'Results' })
    await results.waitFor({ timeout: 120_000 })
    expect(await copyBy(pressed('Control+c'))).toMatch(
      /^Copied “a blue square \(31\)” \(\d+×\d+\) to the clipboard$/,
    )
    const copied = await clipboardPicture()
    // The frame on a 200×150 picture is 150² at most; the copy is the staged result, opaque.
    expect(copied.width).toBe(copied.height)
    expect(copied.width).toBeGreaterThanOrEqual(64)
    expect(pixelAt(copied, copied.width >> 1, copied.height >> 1)[3]).toBe(255)
    await results.getByRole('button', { name: 'Discard', exact: true }).click()
  })

  it('selected text is copied as text, not as a picture', async () => {
    await page.getByRole('form', { name: 'Prompt panel' }).getByLabel('Prompt').fill('a red cube')
    await page.getByRole('form', { name: 'Prompt panel' }).getByLabel('Prompt').selectText()
    await page.keyboard.press('Control+c')
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe('a red cube')
    // Text selected on the page (outside any field) too.
    await keysToThePage()
    await page.evaluate(() => {
      const heading = document.querySelector('.layers-panel h2')!
      const range = document.createRange()
      range.selectNodeContents(heading)
      document.getSelection()!.removeAllRanges()
      document.getSelection()!.addRange(range)
    })
    await page.keyboard.press('Control+c')
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe('Layers')
    expect(pageErrors).toEqual([])
  })
  it('a picture larger than the canvas is pasted whole, scaled down to fit and centred, and says so', async () => {
    // The earlier cases left unsaved changes: once the file is picked, Open asks about them.
    const chooser = page.waitForEvent('filechooser')
    await page.getByRole('button', { name: 'Open', exact: true }).click()
    await (
      await chooser
    ).setFiles(await writeFlatPng(join(work, 'small sky.png'), 200, 150, '#87ceeb'))
    await page
      .getByRole('alertdialog', { name: 'Unsaved changes' })
      .getByRole('button', { name: 'Discard changes' })
      .click()
    await expect.poll(() => layerItems().first().getAttribute('aria-label')).toBe('small sky')
    // 800×300: red on its left half, blue on its right.
    const wide = Buffer.alloc(800 * 300 * 4)
    for (let i = 0; i < 800 * 300; i++)
      wide.set(i % 800 < 400 ? [230, 20, 20, 255] : [20, 40, 230, 255], i * 4)
    await clipboardHolds(
      await sharp(wide, { raw: { width: 800, height: 300, channels: 4 } })
        .png()
        .toBuffer(),
    )
    await keysToThePage()
    await page.keyboard.press('Control+v')
    await expect.poll(() => layerItems().count()).toBe(2)
    await expect
      .poll(message)
      .toBe(
        '“Pasted image” (800×300) is larger than the canvas: placed at 25 % (200×75) to fit. ' +
          'Canvas size… makes room, Open keeps every pixel.',
      )
    // The canvas shows the whole picture: both halves, across the canvas, in the middle.
    // (The text the last case selected would be copied as text.)
    await page.evaluate(() => getSelection()?.removeAllRanges())
    const merged = await copyBy(pressed('Control+Shift+C'))
    expect(merged).toContain('(200×150)')
    const shown = await clipboardPicture()
    expect(pixelAt(shown, 5, 75)).toEqual([230, 20, 20, 255])
    expect(pixelAt(shown, 194, 75)).toEqual([20, 40, 230, 255])
    // Centred: rows 38..112 hold it, the sky above and below.
    expect(pixelAt(shown, 100, 30)).toEqual([135, 206, 235, 255])
    expect(pixelAt(shown, 100, 120)).toEqual([135, 206, 235, 255])
    expect(pixelAt(shown, 50, 40)).toEqual([230, 20, 20, 255])
    expect(pixelAt(shown, 150, 110)).toEqual([20, 40, 230, 255])
    expect(pageErrors).toEqual([])
  })
})
