/**
 * The Paint tool as a person uses it in browser mode (Chromium at 1440×900, the built renderer):
 * choose Paint and a colour, paint a stroke on a blank document, erase part of it with Alt,
 * undo, pick a colour from the canvas, fill a rectangle mask, meet a locked layer, and export.
 * Every check reads what the person sees or gets: the canvas's pixels from a screenshot, the
 * layer's thumbnail, the colour field, the message shown, the PNG downloaded. No model needed.
 */
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openBrowserMode, thumbnailRedCount, type BrowserModeSession } from '../helpers/browser'

const shots = join(tmpdir(), 'glide-shots', 'paint')
const documentSide = 1024
const paintColour = [224, 16, 16] as const
let session: BrowserModeSession
let page: Page
let pageErrors: string[]

beforeAll(async () => {
  mkdirSync(shots, { recursive: true })
  session = await openBrowserMode({}, { acceptDownloads: true })
  page = session.page
  pageErrors = session.pageErrors
})

afterAll(async () => {
  await session?.close()
})

/** Where a document point is on the page: a blank document fits the canvas with 24 px around. */
async function onScreen(x: number, y: number): Promise<{ x: number; y: number }> {
  const box = (await page.getByTestId('editor.canvas').boundingBox())!
  const scale = Math.min((box.width - 48) / documentSide, (box.height - 48) / documentSide)
  return {
    x: box.x + box.width / 2 + (x - documentSide / 2) * scale,
    y: box.y + box.height / 2 + (y - documentSide / 2) * scale,
  }
}

/** The colour the canvas shows at a document point (RGB), read from a screenshot. */
async function shownAt(points: [number, number][], name: string): Promise<number[][]> {
  await page.mouse.move(2, 2)
  await page.evaluate(
    () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))),
  )
  const canvas = page.getByTestId('editor.canvas')
  const box = (await canvas.boundingBox())!
  const png = await canvas.screenshot({ path: join(shots, `${name}.png`) })
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  const colours: number[][] = []
  for (const [x, y] of points) {
    const at = await onScreen(x, y)
    const i = (Math.round(at.y - box.y) * info.width + Math.round(at.x - box.x)) * 3
    colours.push([data[i]!, data[i + 1]!, data[i + 2]!])
  }
  return colours
}

async function stroke(points: [number, number][], modifiers: { alt?: boolean } = {}) {
  if (modifiers.alt) await page.keyboard.down('Alt')
  const [first, ...rest] = points
  const start = await onScreen(...first!)
  await page.mouse.move(start.x, start.y)
  await page.mouse.down()
  for (const point of rest) {
    const next = await onScreen(...point)
    await page.mouse.move(next.x, next.y, { steps: 8 })
  }
  await page.mouse.up()
  if (modifiers.alt) await page.keyboard.up('Alt')
}

const isPaint = (colour: number[]) =>
  colour.every((value, channel) => Math.abs(value - paintColour[channel]!) <= 3)

describe('the Paint tool', () => {
  it('paints a stroke in the colour chosen on the active layer, and the canvas shows it', async () => {
    await page.getByTestId('tools.paint').click()
    await page.getByLabel('Paint colour').fill('#e01010')
    await page.getByRole('slider', { name: 'Brush size' }).fill('40')
    expect(await thumbnailRedCount(page, 0)).toBe(0)
    await stroke([
      [300, 300],
      [700, 300],
    ])
    const [onStroke, below, start] = await shownAt(
      [
        [500, 300],
        [500, 400],
        [300, 300],
      ],
      '1-painted',
    )
    expect(isPaint(onStroke!)).toBe(true)
    expect(isPaint(start!)).toBe(true)
    expect(isPaint(below!)).toBe(false)
    await expect.poll(() => thumbnailRedCount(page, 0)).toBeGreaterThan(0)
    await expect
      .poll(() => page.getByRole('button', { name: 'Undo', exact: true }).getAttribute('title'))
      .toBe('Undo Paint (Ctrl/Cmd+Z)')
    // Painting is a change to save, and the mask was not painted: nothing to clear.
    await expect.poll(() => page.title()).toBe('● Untitled — Glide Studio')
    expect(await page.getByRole('button', { name: 'Clear mask' }).isDisabled()).toBe(true)
  })

  it('Alt erases it to transparent; Undo brings it back', async () => {
    await stroke(
      [
        [420, 300],
        [480, 300],
      ],
      { alt: true },
    )
    const [erased, kept] = await shownAt(
      [
        [450, 300],
        [600, 300],
      ],
      '2-erased',
    )
    expect(isPaint(erased!)).toBe(false)
    expect(isPaint(kept!)).toBe(true)
    await page.keyboard.press('Control+z')
    const [back] = await shownAt([[450, 300]], '3-undone')
    expect(isPaint(back!)).toBe(true)
  })

  it('the exported PNG holds the stroke where it was painted', async () => {
    const download = page.waitForEvent('download')
    await page.getByRole('button', { name: 'Export PNG', exact: true }).click()
    const path = join(shots, 'exported.png')
    await (await download).saveAs(path)
    const { data, info } = await sharp(path)
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true })
    expect([info.width, info.height]).toEqual([documentSide, documentSide])
    const at = (x: number, y: number) => {
      const i = (y * documentSide + x) * 4
      return [...data.subarray(i, i + 4)]
    }
    expect(at(500, 300)).toEqual([...paintColour, 255])
    // The brush is 40 px across: its edge is 20 px from the stroke's line.
    expect(at(500, 285)).toEqual([...paintColour, 255])
    expect(at(500, 321)[3]).toBe(0)
    expect(at(500, 400)[3]).toBe(0)
  })

  it('Ctrl+click picks the colour the canvas shows into the colour field', async () => {
    const colour = page.getByLabel('Paint colour')
    await colour.fill('#00ff00')
    const pick = async (x: number, y: number) => {
      const at = await onScreen(x, y)
      await page.keyboard.down('Control')
      await page.mouse.click(at.x, at.y)
      await page.keyboard.up('Control')
    }
    await pick(500, 300)
    await expect.poll(() => colour.inputValue()).toBe('#e01010')
    // Nothing shows at (500, 600): the colour stays, and nothing was painted.
    await colour.fill('#00ff00')
    await pick(500, 600)
    const [untouched] = await shownAt([[500, 600]], '4-picked')
    expect(await colour.inputValue()).toBe('#00ff00')
    expect(untouched).not.toEqual([0, 255, 0])
    await colour.fill('#e01010')
  })

  it('Fill with colour fills a rectangle mask with the colour: a clean shape to refine', async () => {
    await page.getByRole('button', { name: 'Rectangle mask', exact: true }).click()
    await stroke([
      [300, 700],
      [500, 800],
    ])
    await page.getByRole('button', { name: 'Fill with colour', exact: true }).click()
    // The mask overlay off, to see the layer as it is.
    await page.getByRole('button', { name: 'Show mask', exact: true }).click()
    const [inside, corner, outside] = await shownAt(
      [
        [400, 750],
        [302, 702],
        [520, 750],
      ],
      '5-filled',
    )
    expect(isPaint(inside!)).toBe(true)
    expect(isPaint(corner!)).toBe(true)
    expect(isPaint(outside!)).toBe(false)
    await expect
      .poll(() => page.getByRole('button', { name: 'Undo', exact: true }).getAttribute('title'))
      .toBe('Undo Fill with colour (Ctrl/Cmd+Z)')
    await page.getByRole('button', { name: 'Show mask', exact: true }).click()
    await page.getByRole('button', { name: 'Clear mask', exact: true }).click()
    await page.getByTestId('tools.paint').click()
  })

  it('the History list goes back to any step and forward again, as the canvas shows', async () => {
    const rows = [880, 920, 960]
    for (const y of rows) {
      await stroke([
        [100, y],
        [250, y],
      ])
    }
    await page.locator('summary', { hasText: 'History' }).click()
    const steps = page.getByRole('list', { name: 'History' }).getByRole('button')
    const count = await steps.count()
    expect(await steps.first().textContent()).toBe('Start')
    expect(
      await steps.evaluateAll((buttons) => buttons.slice(-3).map((b) => b.textContent)),
    ).toEqual(['Paint', 'Paint', 'Paint'])
    await expect.poll(() => steps.last().getAttribute('aria-current')).toBe('step')
    const painted = async (name: string) =>
      (
        await shownAt(
          rows.map((y) => [175, y] as [number, number]),
          name,
        )
      ).map(isPaint)

    // Just after the first of the three strokes: the other two are gone from the canvas.
    await steps.nth(count - 3).click()
    await expect.poll(() => steps.nth(count - 3).getAttribute('aria-current')).toBe('step')
    expect(await painted('7-history-first')).toEqual([true, false, false])
    // The start: nothing painted at all, not even the first stroke of this file.
    await steps.first().click()
    const [firstStroke] = await shownAt([[500, 300]], '8-history-start')
    expect(isPaint(firstStroke!)).toBe(false)
    expect(await painted('8-history-start')).toEqual([false, false, false])
    // Forward to the newest step: everything back.
    await steps.last().click()
    await expect.poll(() => steps.last().getAttribute('aria-current')).toBe('step')
    expect(await painted('9-history-last')).toEqual([true, true, true])
    await page.locator('summary', { hasText: 'History' }).click()
  })

  it('says why it does nothing on a locked layer, and changes nothing', async () => {
    await page.getByRole('button', { name: 'Lock Background' }).click()
    await stroke([
      [300, 600],
      [700, 600],
    ])
    await expect
      .poll(() => page.getByText('“Background” is locked: unlock it to paint on it.').count())
      .toBe(1)
    const [untouched] = await shownAt([[500, 600]], '6-locked')
    expect(isPaint(untouched!)).toBe(false)
    expect(pageErrors).toEqual([])
  })
})
