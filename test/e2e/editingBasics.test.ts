/**
 * Editing basics through the real UI in browser mode (Chromium, 1440×900): drop a picture, move it
 * with the Move tool and the arrow keys, undo, merge down, hide the mask overlay, enlarge the
 * canvas, open the shortcuts. Every check reads what the user sees: the canvas's pixels (from a
 * screenshot of the canvas element), the layer list and its thumbnails. No model is needed.
 */
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openBrowserMode, thumbnailRedCount, type BrowserModeSession } from '../helpers/browser'

const shotsDir = process.env.GLIDE_SHOTS_DIR ?? join(tmpdir(), 'glide-shots', 'editingBasics')
const documentSide = 1024
let session: BrowserModeSession
let page: Page
let pageErrors: string[]

beforeAll(async () => {
  mkdirSync(shotsDir, { recursive: true })
  session = await openBrowserMode()
  page = session.page
  pageErrors = session.pageErrors
})

afterAll(async () => {
  await session?.close()
})

interface Screen {
  readonly width: number
  readonly height: number
  readonly data: Buffer
  /** where the page shows the canvas element */
  readonly origin: { x: number; y: number }
}

/** The canvas element as the user sees it, as raw RGB(A) pixels. */
async function canvasPixels(name: string): Promise<Screen> {
  await page.mouse.move(2, 2)
  // Two animation frames: the renderer draws on the next one.
  await page.evaluate(
    () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))),
  )
  const canvas = page.getByTestId('editor.canvas')
  const box = (await canvas.boundingBox())!
  const png = await canvas.screenshot({ path: join(shotsDir, `${name}.png`) })
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  return { width: info.width, height: info.height, data, origin: { x: box.x, y: box.y } }
}

function pixel(screen: Screen, x: number, y: number): [number, number, number] {
  const i = (Math.round(y) * screen.width + Math.round(x)) * 4
  return [screen.data[i]!, screen.data[i + 1]!, screen.data[i + 2]!]
}

const isRed = ([r, g, b]: number[]) => r! > 200 && g! < 60 && b! < 60

/** The document's rectangle on screen: every pixel that is not the canvas surround's colour. */
function documentRect(screen: Screen): { x: number; y: number; width: number; height: number } {
  const surround = pixel(screen, 1, 1)
  let x0 = Infinity
  let y0 = Infinity
  let x1 = -1
  let y1 = -1
  for (let y = 0; y < screen.height; y++) {
    for (let x = 0; x < screen.width; x++) {
      const [r, g, b] = pixel(screen, x, y)
      if (r === surround[0] && g === surround[1] && b === surround[2]) continue
      x0 = Math.min(x0, x)
      y0 = Math.min(y0, y)
      x1 = Math.max(x1, x)
      y1 = Math.max(y1, y)
    }
  }
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 }
}

const layerItems = () => page.getByTestId('layers.item')
const button = (name: string) => page.getByRole('button', { name, exact: true })

/** Drops a PNG file on the canvas at a page point, as a file dragged from the desktop. */
async function dropPng(png: Buffer, name: string, clientX: number, clientY: number) {
  const transfer = await page.evaluateHandle(
    ([bytes, fileName]) => {
      const data = new DataTransfer()
      data.items.add(new File([new Uint8Array(bytes)], fileName, { type: 'image/png' }))
      return data
    },
    [[...png], name] as const,
  )
  await page.getByTestId('editor.canvas').dispatchEvent('drop', {
    dataTransfer: transfer,
    clientX,
    clientY,
  })
}

let scale = 1
let centre = { x: 0, y: 0 }

/** The toolbar's zoom readout, in percent (within its rounding of the drawn zoom). */
async function zoomShown(): Promise<number> {
  const text = (await page.getByRole('status', { name: 'Zoom' }).textContent()) ?? ''
  return Number.parseFloat(text)
}
let squareHalf = 0

describe('editing basics, through the UI', () => {
  it('drops a red square on a blank canvas', async () => {
    await expect.poll(() => layerItems().count()).toBe(1)
    const blank = await canvasPixels('01-blank')
    const rect = documentRect(blank)
    scale = rect.width / documentSide
    expect(rect.height / rect.width).toBeCloseTo(1, 1)
    // The zoom beside the view buttons is the one drawn.
    expect(Math.abs((await zoomShown()) - scale * 100)).toBeLessThanOrEqual(0.5)
    centre = { x: rect.x + rect.width / 2, y: rect.y + rect.height / 2 }
    const png = await sharp({
      create: { width: 200, height: 200, channels: 4, background: '#ff0000' },
    })
      .png()
      .toBuffer()
    await dropPng(png, 'red.png', blank.origin.x + centre.x, blank.origin.y + centre.y)
    await expect.poll(() => layerItems().count()).toBe(2)
    squareHalf = 100 * scale
    const dropped = await canvasPixels('02-dropped')
    expect(isRed(pixel(dropped, centre.x, centre.y))).toBe(true)
    expect(isRed(pixel(dropped, centre.x + squareHalf + 20, centre.y))).toBe(false)
    await expect.poll(() => thumbnailRedCount(page, 0)).toBeGreaterThan(0)
  })

  it('the Move tool drags the active layer; arrow keys nudge it; Undo takes a nudge back', async () => {
    await button('Move').click()
    await expect.poll(() => button('Move').getAttribute('aria-pressed')).toBe('true')
    const origin = (await page.getByTestId('editor.canvas').boundingBox())!
    const dragBy = 120
    await page.mouse.move(origin.x + centre.x, origin.y + centre.y)
    await page.mouse.down()
    await page.mouse.move(origin.x + centre.x + dragBy, origin.y + centre.y, { steps: 8 })
    await page.mouse.up()
    const left = centre.x - squareHalf + 10
    // Well inside the moved square: its right edge now lies near the generation frame's dashed
    // outline, which a probe at the edge would read instead of the layer.
    const right = centre.x + squareHalf + dragBy - 30
    // Each check re-reads the canvas until it holds (a loaded machine may draw a frame late, and
    // one read of the canvas can take most of expect.poll's default second there).
    const redAt = async (name: string, x: number, y: number) =>
      isRed(pixel(await canvasPixels(name), x, y))
    const patiently = { timeout: 10_000 }
    await expect.poll(() => redAt('03-moved', right, centre.y), patiently).toBe(true)
    expect(await redAt('03-moved', left, centre.y)).toBe(false)

    // Shift+↓ moves 10 document pixels: the row just under the old bottom edge turns red.
    const under = centre.y + squareHalf + 5 * scale
    const column = centre.x + dragBy
    expect(await redAt('03-moved', column, under)).toBe(false)
    await page.keyboard.press('Shift+ArrowDown')
    await expect.poll(() => redAt('04-nudged', column, under), patiently).toBe(true)
    await button('Undo').click()
    await expect.poll(() => redAt('05-nudge-undone', column, under), patiently).toBe(false)
    expect(await redAt('05-nudge-undone', right, centre.y)).toBe(true)
  })

  it('a corner of the layer’s box scales it about the opposite corner, proportions kept; Undo takes it back', async () => {
    const canvas = page.getByTestId('editor.canvas')
    const origin = (await canvas.boundingBox())!
    // Where the Move case left the square (canvas coordinates).
    const dragBy = 120
    const left = centre.x - squareHalf + dragBy
    const top = centre.y - squareHalf
    const right = centre.x + squareHalf + dragBy
    const bottom = centre.y + squareHalf
    const shown = await canvasPixels('05b-box')
    // The bottom-right handle: a light square over the corner, lighter than the checkerboard.
    expect(Math.min(...pixel(shown, right + 2, bottom + 2))).toBeGreaterThan(235)
    await page.mouse.move(origin.x + right + 3, origin.y + bottom + 3)
    await expect.poll(() => canvas.evaluate((host) => host.style.cursor)).toBe('nwse-resize')
    await page.mouse.move(origin.x + centre.x + dragBy, origin.y + centre.y)
    await expect.poll(() => canvas.evaluate((host) => host.style.cursor)).toBe('')

    const grow = 60
    await page.mouse.move(origin.x + right + 3, origin.y + bottom + 3)
    await page.mouse.down()
    await page.mouse.move(origin.x + right + 3 + grow, origin.y + bottom + 3, { steps: 6 })
    await page.mouse.up()
    const redAt = async (name: string, x: number, y: number) =>
      isRed(pixel(await canvasPixels(name), x, y))
    const patiently = { timeout: 10_000 }
    // Wider by 60 screen pixels and, proportions kept, as much taller; the top-left stays.
    await expect
      .poll(() => redAt('05c-scaled', right + grow / 2, bottom + grow / 2), patiently)
      .toBe(true)
    expect(await redAt('05c-scaled', left + 10, top + 10)).toBe(true)
    expect(await redAt('05c-scaled', left - 10, top + 10)).toBe(false)
    expect(await redAt('05c-scaled', right + grow + 10, bottom)).toBe(false)
    await expect
      .poll(() => button('Undo').getAttribute('title'))
      .toBe('Undo Scale layer (Ctrl/Cmd+Z)')
    await page.keyboard.press('Control+z')
    await expect
      .poll(() => redAt('05d-unscaled', right + grow / 2, bottom + grow / 2), patiently)
      .toBe(false)
    expect(await redAt('05d-unscaled', right - 40, centre.y)).toBe(true)
  })

  it('merge down leaves one layer and the same picture', async () => {
    const before = await canvasPixels('06-before-merge')
    await button('Merge down').click()
    await expect.poll(() => layerItems().count()).toBe(1)
    const after = await canvasPixels('07-merged')
    expect(Buffer.compare(before.data, after.data)).toBe(0)
    await expect.poll(() => thumbnailRedCount(page, 0)).toBeGreaterThan(0)
  })

  it('hides and shows the mask overlay', async () => {
    await button('Rectangle mask').click()
    const origin = (await page.getByTestId('editor.canvas').boundingBox())!
    const spot = { x: centre.x - 250 * scale, y: centre.y - 250 * scale }
    await page.mouse.move(origin.x + spot.x - 30, origin.y + spot.y - 30)
    await page.mouse.down()
    await page.mouse.move(origin.x + spot.x + 30, origin.y + spot.y + 30, { steps: 4 })
    await page.mouse.up()
    const masked = await canvasPixels('08-mask-shown')
    await button('Show mask').click()
    await expect.poll(() => button('Show mask').getAttribute('aria-pressed')).toBe('false')
    const hidden = await canvasPixels('09-mask-hidden')
    const [r1, g1] = pixel(masked, spot.x, spot.y)
    const [r2, g2] = pixel(hidden, spot.x, spot.y)
    // The overlay is red-pink: shown, red clearly exceeds green; hidden, the grey checkerboard.
    expect(r1 - g1).toBeGreaterThan(60)
    expect(Math.abs(r2 - g2)).toBeLessThan(10)
    await button('Show mask').click()
    await button('Clear mask').click()
  })

  it('an inverted mask undone is no mask: Clear mask is off and Generate will not inpaint', async () => {
    await expect.poll(() => button('Clear mask').isDisabled()).toBe(true)
    const action = page.locator('.prompt-action')
    const before = await action.textContent()
    expect(before).not.toContain('painted mask')
    await page.getByTestId('editor.canvas').focus()
    await page.keyboard.press('Control+i')
    await expect.poll(() => button('Clear mask').isDisabled()).toBe(false)
    await page.keyboard.press('Control+z')
    await expect.poll(() => button('Clear mask').isDisabled()).toBe(true)
    // What Generate will do is what it was before the invert, not an inpaint of an empty mask.
    await expect.poll(() => action.textContent()).toBe(before)
    expect(pageErrors).toEqual([])
  })

  it('canvas size adds transparent room on the right; the layer list shows the new shape', async () => {
    await button('Canvas size').click()
    const form = page.getByRole('form', { name: 'Canvas size' })
    await form.getByLabel('Width').fill(String(documentSide + 512))
    await form.getByLabel('Picture at').selectOption('left')
    await form.getByRole('button', { name: 'Apply' }).click()
    await button('Fit').click()
    const enlarged = await canvasPixels('10-canvas-enlarged')
    const rect = documentRect(enlarged)
    expect(rect.width / rect.height).toBeCloseTo((documentSide + 512) / documentSide, 1)
    const newScale = rect.width / (documentSide + 512)
    // The square stays where it was in the picture; the new right part is empty (checkerboard).
    const squareCentre = {
      x: rect.x + (documentSide / 2 + 120 / scale) * newScale,
      y: rect.y + (documentSide / 2) * newScale,
    }
    expect(isRed(pixel(enlarged, squareCentre.x, squareCentre.y))).toBe(true)
    const [r, g, b] = pixel(enlarged, rect.x + rect.width - 20, rect.y + rect.height / 2)
    expect(Math.max(r, g, b) - Math.min(r, g, b)).toBeLessThan(10)
    const thumbnail = page.getByTestId('layers.thumbnail').first()
    expect(await thumbnail.evaluate((node) => (node as HTMLCanvasElement).width)).toBe(40)
    expect(await thumbnail.evaluate((node) => (node as HTMLCanvasElement).height)).toBe(27)
    await button('Undo').click()
    await button('Fit').click()
    const restored = documentRect(await canvasPixels('11-canvas-size-undone'))
    expect(restored.width / restored.height).toBeCloseTo(1, 1)
  })

  it('the shortcuts open in view and list the Move tool, merge down, Paint and the comparison', async () => {
    await button('Shortcuts').click()
    const dialog = page.getByRole('dialog', { name: 'Shortcuts' })
    await dialog.waitFor()
    const box = (await dialog.boundingBox())!
    expect(box.y).toBeGreaterThanOrEqual(0)
    expect(box.y + box.height).toBeLessThanOrEqual(900)
    expect(box.x + box.width).toBeLessThanOrEqual(1440)
    await expect.poll(() => dialog.getByText('Ctrl/Cmd+E', { exact: true }).count()).toBe(1)
    await expect
      .poll(() =>
        dialog
          .getByText(
            'Move: drag the active layer (Shift: straight); drag a corner of its box to scale it (Shift: free)',
          )
          .count(),
      )
      .toBe(1)
    for (const text of [
      'Paint on the active layer in the colour chosen (Alt: erase it; Ctrl/Cmd+click: pick a colour)',
      'Paint: pick the colour the canvas shows',
      'Hide the result on view to see the picture under it; again to show it',
    ])
      expect(await dialog.getByText(text, { exact: true }).count()).toBe(1)
    await page.screenshot({ path: join(shotsDir, '12-shortcuts.png') })
    await page
      .getByRole('region', { name: 'Layers' })
      .screenshot({ path: join(shotsDir, '13-layers.png') })
    await page.keyboard.press('Escape')
    await expect.poll(() => dialog.count()).toBe(0)
    expect(pageErrors).toEqual([])
  })

  it('renames a layer: a double-click selects the whole name, so typing replaces it', async () => {
    const first = layerItems().first()
    await first.locator('.layer-name').dblclick()
    const input = page.getByRole('textbox', { name: 'Layer name' })
    await input.waitFor()
    await page.keyboard.type('sky and sea')
    await page.keyboard.press('Enter')
    await expect.poll(() => first.getAttribute('aria-label')).toBe('sky and sea')
    // Undo puts the old name back.
    await button('Undo').click()
    await expect.poll(() => first.getAttribute('aria-label')).not.toBe('sky and sea')
    expect(pageErrors).toEqual([])
  })

  it('the zoom readout follows the wheel, 100% and Fit', async () => {
    const fitted = await zoomShown()
    const canvas = (await page.getByTestId('editor.canvas').boundingBox())!
    await page.mouse.move(canvas.x + canvas.width / 2, canvas.y + canvas.height / 2)
    await page.mouse.wheel(0, -300)
    await expect.poll(zoomShown).toBeGreaterThan(fitted)
    await button('100%').click()
    await expect.poll(zoomShown).toBe(100)
    await button('Fit').click()
    await expect.poll(zoomShown).toBe(fitted)
  })

  it('a dropped picture larger than the canvas is placed whole, scaled down to fit, and says so', async () => {
    const layersBefore = await layerItems().count()
    const png = await sharp({
      create: { width: 4096, height: 512, channels: 4, background: '#0000ff' },
    })
      .png()
      .toBuffer()
    const box = (await page.getByTestId('editor.canvas').boundingBox())!
    // Dropped near a corner: a fitted picture goes in the middle all the same.
    await dropPng(png, 'banner.png', box.x + 40, box.y + 40)
    await expect.poll(() => layerItems().count()).toBe(layersBefore + 1)
    await expect
      .poll(() => page.locator('.editor-message[role="status"] span').first().textContent())
      .toMatch(
        /^“banner” \(4096×512\) is larger than the canvas: placed at \d+ % \(\d+×\d+\) to fit\./,
      )
    await page.getByRole('button', { name: 'Dismiss' }).click()
    // Blue from the canvas's left edge to its right, in the middle row.
    const shown = await canvasPixels('14-fitted-drop')
    const rect = documentRect(shown)
    const middle = rect.y + rect.height / 2
    const isBlue = ([r, g, b]: number[]) => b! > 200 && r! < 40 && g! < 40
    expect(isBlue(pixel(shown, rect.x + 2, middle))).toBe(true)
    expect(isBlue(pixel(shown, rect.x + rect.width - 3, middle))).toBe(true)
    expect(pageErrors).toEqual([])
  })
})
