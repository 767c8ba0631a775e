/**
 * The tool a person chose and its options (brush size and hardness, Paint colour) as they set
 * them stay: when a picture is opened (a new document) and in the next session (browser mode
 * restarted on the same config folder, a new page). Checks read the toolbar's fields, the tool
 * button's state and the colour a stroke leaves on the canvas. No model needed.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBrowserMode, type BrowserMode } from '../../main/server/browserMode'
import {
  buildRenderer,
  openBrowserMode,
  openPage,
  openThroughPicker,
  writeFlatPng,
  type BrowserModeSession,
} from '../helpers/browser'

const work = mkdtempSync(join(tmpdir(), 'glide-tool-settings-'))
const configDir = join(work, 'config')
const modelsDir = mkdtempSync(join(work, 'models-'))
let staticDir: string
let session: BrowserModeSession
let page: Page
let restarted: BrowserMode | undefined

beforeAll(async () => {
  staticDir = await buildRenderer()
  session = await openBrowserMode({ staticDir, modelsDir, configDir })
  page = session.page
})

afterAll(async () => {
  await session?.close()
  await restarted?.close()
})

/** What the toolbar shows: size, hardness (0–100), colour, and whether Paint is the tool. */
async function toolbar(on: Page) {
  return {
    size: await on.getByRole('slider', { name: 'Brush size' }).inputValue(),
    hardness: await on.getByRole('slider', { name: 'Brush hardness' }).inputValue(),
    colour: await on.getByLabel('Paint colour').inputValue(),
    paintChosen: await on.getByTestId('tools.paint').getAttribute('aria-pressed'),
  }
}

/** Paints a short stroke through the canvas's middle and returns the colour shown there. */
async function paintThroughMiddle(on: Page): Promise<number[]> {
  const canvas = on.getByTestId('editor.canvas')
  const box = (await canvas.boundingBox())!
  const middle = { x: box.x + box.width / 2, y: box.y + box.height / 2 }
  await on.mouse.move(middle.x - 60, middle.y)
  await on.mouse.down()
  await on.mouse.move(middle.x + 60, middle.y, { steps: 6 })
  await on.mouse.up()
  await on.mouse.move(box.x + 2, box.y + 2)
  await on.evaluate(
    () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))),
  )
  const png = await canvas.screenshot({ path: join(work, 'stroke.png') })
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  const i = (Math.round(info.height / 2) * info.width + Math.round(info.width / 2)) * 3
  return [data[i]!, data[i + 1]!, data[i + 2]!]
}

/** What the first case sets, as the toolbar shows it. */
const chosen = { size: '120', hardness: '30', colour: '#2050e0' }

describe('tool options stay as the person set them', () => {
  it('opening a picture keeps the tool, the brush and the Paint colour', async () => {
    expect(await toolbar(page)).toEqual({
      size: '64',
      hardness: '80',
      colour: '#000000',
      paintChosen: 'false',
    })
    await page.getByTestId('tools.paint').click()
    await page.getByRole('slider', { name: 'Brush size' }).fill(chosen.size)
    await page.getByRole('slider', { name: 'Brush hardness' }).fill(chosen.hardness)
    await page.getByLabel('Paint colour').fill(chosen.colour)

    await openThroughPicker(page, await writeFlatPng(join(work, 'meadow.png'), 640, 480, '#70c060'))
    await expect
      .poll(() => page.getByRole('listitem', { name: 'meadow' }).count(), { timeout: 15_000 })
      .toBe(1)
    expect(await toolbar(page)).toEqual({ ...chosen, paintChosen: 'true' })
    // The opened picture is painted in that colour.
    expect(await paintThroughMiddle(page)).toEqual([0x20, 0x50, 0xe0])
  })

  it('the next session starts with the same brush and Paint colour', async () => {
    const settingsFile = join(configDir, 'settings.json')
    await expect
      .poll(() => {
        try {
          return (JSON.parse(readFileSync(settingsFile, 'utf8')) as { tools?: unknown }).tools
        } catch {
          return null
        }
      })
      .toEqual({ brushSize: 120, brushHardness: 0.3, paintColour: '#2050e0' })

    await session.page.close()
    await session.mode.close()
    restarted = await startBrowserMode({ staticDir, modelsDir, configDir })
    const next = await openPage(session.browser, restarted.server.url)
    // The saved options arrive after the first render: wait for them.
    await expect.poll(() => toolbar(next)).toMatchObject({ size: '120', colour: '#2050e0' })
    // A new session starts with the Brush (the mask), the options it remembered beside it.
    expect(await toolbar(next)).toEqual({ ...chosen, paintChosen: 'false' })
    await next.getByTestId('tools.paint').click()
    expect(await paintThroughMiddle(next)).toEqual([0x20, 0x50, 0xe0])
  })
})
