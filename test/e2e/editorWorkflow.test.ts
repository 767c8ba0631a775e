/**
 * Issue 15's Show cases through the editor, as a user does them in browser mode (Chromium at
 * 1440×900, the built renderer, main's services and job queue, the inference host running the
 * bundled GLIDE-mini): open a picture with the Open file picker, mask with the Rectangle mask tool
 * or move the generation frame, Generate, Accept, Export PNG as a browser download, and judge the
 * downloaded file. Refine is judged by GLIDE-mini's scene detector (native-models/eval/detector.py,
 * run with /usr/bin/python3). Steps are cut to 20–25 so each generation is seconds of CPU.
 */
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generationDefaults } from '../../contract/generation'
import { startBrowserMode, type BrowserMode } from '../../main/server/browserMode'
import { buildRenderer, launchChromium, openPage } from '../helpers/browser'

const shots = '/tmp/shots/G'
const work = mkdtempSync(join(tmpdir(), 'glide-workflow-e2e-'))
const detectorDir = fileURLToPath(new URL('../../native-models/eval/', import.meta.url))
let mode: BrowserMode
let browser: Browser
let page: Page
const pageErrors: string[] = []

beforeAll(async () => {
  mkdirSync(shots, { recursive: true })
  // An empty models dir: the only models are the bundled GLIDE-mini ones.
  mode = await startBrowserMode({
    staticDir: await buildRenderer(),
    modelsDir: mkdtempSync(join(tmpdir(), 'glide-workflow-models-')),
    configDir: join(work, 'config'),
  })
  browser = await launchChromium()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await mode?.close()
})

/** A fresh page: a new blank document (each case opens its own picture). */
async function freshPage(): Promise<void> {
  await page?.close()
  page = await openPage(browser, mode.server.url, { acceptDownloads: true, pageErrors })
}

const button = (name: string) => page.getByRole('button', { name, exact: true })
const panel = () => page.getByRole('form', { name: 'Prompt panel' })
const layerItems = () => page.getByTestId('layers.item')

interface Picture {
  width: number
  height: number
  data: Buffer
}

async function writePicture(name: string, picture: Picture): Promise<string> {
  const path = join(work, name)
  await sharp(picture.data, { raw: { width: picture.width, height: picture.height, channels: 3 } })
    .png()
    .toFile(path)
  return path
}

function flatPicture(width: number, height: number, rgb: readonly number[]): Picture {
  const data = Buffer.alloc(width * height * 3)
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3)
  return { width, height, data }
}

const sky = [170, 210, 240] as const
const red = [220, 40, 40] as const

/** A red circle on a light-blue sky. */
function circlePicture(width: number, height: number, cx: number, cy: number, r: number): Picture {
  const picture = flatPicture(width, height, sky)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 < r * r)
        picture.data.set(red, (y * width + x) * 3)
    }
  }
  return picture
}

/**
 * Opens a picture through the toolbar's Open, as a user picks it in the file picker, and waits
 * for the document it becomes: one layer named after the file.
 */
async function openThroughPicker(path: string): Promise<void> {
  const chooser = page.waitForEvent('filechooser')
  await button('Open').click()
  await (await chooser).setFiles(path)
  const name = basename(path).replace(/\.[^.]+$/, '')
  const layerNames = () =>
    layerItems().evaluateAll((items) => items.map((item) => item.getAttribute('aria-label')))
  await expect.poll(layerNames, { timeout: 30_000 }).toEqual([name])
}

/** Export PNG, downloaded by the browser; a copy goes to the screenshots folder. */
async function exportPng(name: string): Promise<{ width: number; height: number; data: Buffer }> {
  const pending = page.waitForEvent('download')
  await button('Export PNG').click()
  const download = await pending
  const path = join(work, `${Date.now()}-${download.suggestedFilename()}`)
  await download.saveAs(path)
  copyFileSync(path, join(shots, `${name}.png`))
  const { data, info } = await sharp(path).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  return { width: info.width, height: info.height, data }
}

/** Where document pixel (0, 0) is on the page, read from the canvas as shown (zoom 100 %). */
async function documentOrigin(picture: Picture): Promise<{ x: number; y: number }> {
  await button('100%').click()
  await page.mouse.move(2, 2)
  await page.evaluate(
    () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))),
  )
  const canvas = page.getByTestId('editor.canvas')
  const box = (await canvas.boundingBox())!
  const png = await canvas.screenshot()
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  const colour = [...picture.data.subarray(0, 3)]
  const matches = (x: number, y: number) =>
    [0, 1, 2].every((c) => Math.abs(data[(y * info.width + x) * 3 + c]! - colour[c]!) <= 2)
  // The middle row finds the left edge; a column just inside it (left of the frame) the top.
  const row = Math.round(info.height / 2)
  let x0 = 0
  while (x0 < info.width && !matches(x0, row)) x0++
  let y0 = 0
  while (y0 < info.height && !matches(x0 + 3, y0)) y0++
  expect(x0).toBeLessThan(info.width)
  // At 100 % the document is centred on whole pixels.
  expect(x0).toBe(Math.round((info.width - picture.width) / 2))
  expect(y0).toBe(Math.round((info.height - picture.height) / 2))
  return { x: box.x + x0, y: box.y + y0 }
}

/** Drags from document point `from` to `to` with the tool named `tool` (zoom 100 %). */
async function dragOnDocument(
  origin: { x: number; y: number },
  tool: string,
  from: { x: number; y: number },
  to: { x: number; y: number },
): Promise<void> {
  await button(tool).click()
  // A quarter pixel in: the tools round to the nearest document pixel.
  await page.mouse.move(origin.x + from.x + 0.25, origin.y + from.y + 0.25)
  await page.mouse.down()
  await page.mouse.move(origin.x + to.x + 0.25, origin.y + to.y + 0.25, { steps: 8 })
  await page.mouse.up()
}

/** Paints `rect` (document pixels) with the Rectangle mask; the panel then offers to inpaint. */
async function maskRectangle(
  origin: { x: number; y: number },
  rect: { x: number; y: number; width: number; height: number },
): Promise<void> {
  await dragOnDocument(
    origin,
    'Rectangle mask',
    { x: rect.x, y: rect.y },
    { x: rect.x + rect.width, y: rect.y + rect.height },
  )
  await expect
    .poll(() => panel().getByText('Inpaints the painted mask inside the frame.').count())
    .toBe(1)
}

/**
 * Prompt, steps, one variation, a fixed seed; Generate (the button, or Ctrl+Enter with the focus
 * out of the panel, as after working on the canvas); waits for the staged result.
 */
async function generate(
  prompt: string,
  steps: number,
  seed: number,
  by: 'button' | 'keys' = 'button',
): Promise<void> {
  const form = panel()
  await form.getByLabel('Prompt', { exact: true }).fill(prompt)
  await form.getByLabel('Steps', { exact: true }).fill(String(steps))
  await form.getByLabel('Variations', { exact: true }).fill('1')
  await form.getByRole('checkbox', { name: 'New seed each run' }).uncheck()
  await form.getByLabel('Seed', { exact: true }).fill(String(seed))
  if (by === 'button') {
    await form.getByRole('button', { name: 'Generate', exact: true }).click()
  } else {
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
    await page.keyboard.press('Control+Enter')
  }
  await page.getByRole('group', { name: 'Results' }).waitFor({ timeout: 240_000 })
}

/** [colour, shape, position] of each object GLIDE-mini's scene detector finds, largest first. */
function detect(files: string[]): string[][][] {
  const script = [
    'import json, sys',
    `sys.path.insert(0, ${JSON.stringify(detectorDir)})`,
    'import detector, numpy as np',
    'from PIL import Image',
    'found = [detector.detect(np.asarray(Image.open(p).convert("RGB")))["objects"] for p in sys.argv[1:]]',
    'print(json.dumps([[[o["colour"], o["shape"], o["position"]] for o in objs] for objs in found]))',
  ].join('\n')
  const output = execFileSync('/usr/bin/python3', ['-c', script, ...files], { encoding: 'utf8' })
  return JSON.parse(output) as string[][][]
}

describe('the editor workflow with GLIDE-mini (issue 15, Show)', () => {
  it('inpaints a yellow star into a flat sky: size kept, outside unchanged, fill and rim match', async () => {
    await freshPage()
    const background = [168, 208, 240] as const
    const picture = flatPicture(640, 448, background)
    await openThroughPicker(await writePicture('sky.png', picture))
    const origin = await documentOrigin(picture)
    const square = { x: 440, y: 144, side: 160 }
    await maskRectangle(origin, {
      x: square.x,
      y: square.y,
      width: square.side,
      height: square.side,
    })
    // Guidance follows the mode: inpainting's default, as the panel says.
    const guidance = panel().getByLabel('Guidance', { exact: true })
    await expect(guidance.inputValue()).resolves.toBe(
      String(generationDefaults.guidanceByMode.inpaint),
    )
    await expect(panel().getByText('Default for inpainting').count()).resolves.toBe(1)
    // A value of one's own holds until the default is asked for again.
    await guidance.fill('7')
    const useDefault = panel().getByRole('button', { name: 'Use the default for inpainting (5)' })
    await expect(useDefault.count()).resolves.toBe(1)
    await useDefault.click()
    await expect(guidance.inputValue()).resolves.toBe('5')
    await generate('a yellow star', 20, 3)
    await page.screenshot({ path: join(shots, '01-star-staged.png') })

    // The names a screen reader (and these tests) find the controls by.
    await panel().getByRole('checkbox', { name: 'Refine the frame' }).check()
    for (const [role, name] of [
      ['textbox', 'Prompt'],
      ['button', 'Generate'],
      ['button', 'Cancel'],
      ['button', 'Accept'],
      ['button', 'Discard'],
      ['button', 'Open'],
      ['button', 'Save'],
      ['button', 'Export PNG'],
      ['button', 'Rectangle mask'],
      ['button', 'Brush'],
      ['button', 'Move'],
      ['slider', 'Strength'],
      ['checkbox', 'New seed each run'],
    ] as const) {
      const count = await page.getByRole(role, { name, exact: true }).count()
      expect(count, `${role} "${name}"`).toBeGreaterThanOrEqual(1)
    }
    await panel().getByRole('checkbox', { name: 'Refine the frame' }).uncheck()

    await button('Accept').click()
    await expect.poll(() => layerItems().count()).toBe(2)
    await page.screenshot({ path: join(shots, '02-star-accepted.png') })
    const exported = await exportPng('03-star-exported')
    expect([exported.width, exported.height]).toEqual([640, 448])

    let changedOutside = 0
    let untouchedInside = 0
    let starPixels = 0
    let fillCount = 0
    let bandCount = 0
    const fill = [0, 0, 0]
    const band = [0, 0, 0]
    for (let y = 0; y < 448; y++) {
      for (let x = 0; x < 640; x++) {
        const i = (y * 640 + x) * 4
        const pixel = [0, 1, 2].map((c) => exported.data[i + c]!)
        const inside =
          x >= square.x && x < square.x + square.side && y >= square.y && y < square.y + square.side
        if (!inside) {
          if (pixel.some((value, c) => value !== background[c]) || exported.data[i + 3] !== 255)
            changedOutside++
          continue
        }
        if (pixel.every((value, c) => value === background[c])) untouchedInside++
        const distance = pixel.map((value, c) => Math.abs(value - background[c]!))
        // The star: clearly not the sky (yellow is ~200 away in blue).
        if (Math.max(...distance) > 30) {
          starPixels++
          continue
        }
        distance.forEach((d, c) => (fill[c]! += d))
        fillCount++
        const edge = Math.min(
          x - square.x,
          square.x + square.side - 1 - x,
          y - square.y,
          square.y + square.side - 1 - y,
        )
        if (edge < 8) {
          distance.forEach((d, c) => (band[c]! += d))
          bandCount++
        }
      }
    }
    const fillMean = fill.map((sum) => sum / fillCount)
    const bandMean = band.map((sum) => sum / bandCount)
    process.stderr.write(
      `star: star pixels ${starPixels}, fill |d| ${fillMean.map((v) => v.toFixed(2))}, ` +
        `band |d| ${bandMean.map((v) => v.toFixed(2))} (${bandCount} px), outside changed ${changedOutside}, ` +
        `inside exactly the sky ${untouchedInside}\n`,
    )
    expect(changedOutside).toBe(0)
    // The whole mask was regenerated: a frame that left part of it out keeps that part exactly
    // the sky, and cuts the fill (and the star) with a straight edge.
    expect(untouchedInside).toBeLessThan(0.05 * square.side * square.side)
    // There is a star (the 160 px square holds 25,600 pixels).
    expect(starPixels).toBeGreaterThan(1500)
    for (const value of fillMean) expect(value).toBeLessThan(6)
    for (const value of bandMean) expect(value).toBeLessThan(8)
    expect(pageErrors).toEqual([])
  }, 420_000)

  it('Colour match keeps a strip’s background the picture’s colour around a new object', async () => {
    // A strip of mask a little wider than the object drawn into it: the object reaches the
    // strip's edges, where Colour match reads the fill. It used to tint the whole fill against
    // the object's colour (a blue-grey strip around a yellow circle, seen in the app).
    await freshPage()
    const background = [168, 208, 240] as const
    const picture = flatPicture(640, 448, background)
    await openThroughPicker(await writePicture('pale-sky.png', picture))
    const origin = await documentOrigin(picture)
    const strip = { x: 260, y: 64, width: 72, height: 320 }
    await maskRectangle(origin, strip)
    await panel().getByRole('checkbox', { name: 'Colour match' }).check()
    await generate('a yellow circle', 20, 11)
    await button('Accept').click()
    await expect.poll(() => layerItems().count()).toBe(2)
    const exported = await exportPng('04-colour-match-exported')
    const shift = [0, 0, 0]
    let fillCount = 0
    let objectPixels = 0
    for (let y = strip.y; y < strip.y + strip.height; y++) {
      for (let x = strip.x; x < strip.x + strip.width; x++) {
        const i = (y * 640 + x) * 4
        const difference = [0, 1, 2].map((c) => exported.data[i + c]! - background[c]!)
        if (Math.max(...difference.map(Math.abs)) > 40) {
          objectPixels++
          continue
        }
        difference.forEach((d, c) => (shift[c]! += d))
        fillCount++
      }
    }
    const meanShift = shift.map((sum) => sum / fillCount)
    process.stderr.write(
      `colour match: object pixels ${objectPixels}, background shift ${meanShift.map((v) => v.toFixed(2))} over ${fillCount} px\n`,
    )
    expect(objectPixels).toBeGreaterThan(1000)
    for (const value of meanShift) expect(Math.abs(value)).toBeLessThan(4)
  }, 420_000)

  it('says when a fill is off the picture’s colour at the mask edge; Match colours evens it without a new job; none with Colour match', async () => {
    // GLIDE-mini continues this darker sky lighter (about 30 levels in red): a patch the staged
    // result's hint points out, with the control that evens it.
    await freshPage()
    const picture = flatPicture(640, 448, [90, 140, 200])
    await openThroughPicker(await writePicture('dark-sky.png', picture))
    const origin = await documentOrigin(picture)
    const square = { x: 220, y: 120, width: 160, height: 160 }
    await maskRectangle(origin, square)
    await generate('a red circle', 20, 3)
    const hint = page.getByRole('note')
    await expect
      .poll(() => hint.textContent())
      .toMatch(/^The fill is \d+ levels off the picture at the mask's edge\. Match colours$/)
    const levels = Number(/\d+/.exec((await hint.textContent()) ?? '')?.[0])
    process.stderr.write(`colour mismatch hint: ${levels} levels\n`)
    expect(levels).toBeGreaterThanOrEqual(12)
    await page.screenshot({ path: join(shots, '05-colour-hint.png') })
    const jobsBefore = await page.getByRole('region', { name: 'Gallery' }).getByRole('img').count()

    // Match colours: the same results placed again, shifted to the sky around the mask.
    await hint.getByRole('button', { name: 'Match colours' }).click()
    await expect.poll(() => hint.count()).toBe(0)
    await button('Accept').click()
    await expect.poll(() => layerItems().count()).toBe(2)
    const exported = await exportPng('05-colour-matched-exported')
    // The fill's own background, just inside the mask's edge (a ring 4 to 12 px in): the sky's.
    const ring: number[][] = [[], [], []]
    for (let y = square.y + 4; y < square.y + square.height - 4; y++) {
      for (let x = square.x + 4; x < square.x + square.width - 4; x++) {
        const inner =
          x >= square.x + 12 &&
          x < square.x + square.width - 12 &&
          y >= square.y + 12 &&
          y < square.y + square.height - 12
        if (inner) continue
        const i = (y * exported.width + x) * 4
        for (let c = 0; c < 3; c++) ring[c]!.push(exported.data[i + c]!)
      }
    }
    const median = (values: number[]) => values.sort((p, q) => p - q)[values.length >> 1]!
    const shift = ring.map((values, c) => median(values) - [90, 140, 200][c]!)
    process.stderr.write(`match colours: edge ring off the sky by ${shift}\n`)
    for (const value of shift) expect(Math.abs(value)).toBeLessThanOrEqual(4)
    // No new job ran for it.
    await expect(
      page.getByRole('region', { name: 'Gallery' }).getByRole('img').count(),
    ).resolves.toBe(jobsBefore)

    await button('Undo').click()
    await expect.poll(() => layerItems().count()).toBe(1)
    await page
      .getByRole('group', { name: 'Results' })
      .getByRole('button', { name: 'Discard' })
      .click()
    await panel().getByRole('checkbox', { name: 'Colour match' }).check()
    await generate('a red circle', 20, 3)
    await expect(hint.count()).resolves.toBe(0)
  }, 420_000)

  it('Extend → Right outpaints in one step: the canvas grows, the frame goes over the new room', async () => {
    await freshPage()
    const picture = circlePicture(256, 256, 100, 128, 40)
    await openThroughPicker(await writePicture('circle-256-extend.png', picture))
    await page.getByRole('combobox', { name: 'Extend' }).selectOption({ label: '→ Right' })
    await expect
      .poll(() => panel().getByText('Outpaints the transparent part of the frame.').count())
      .toBe(1)
    await expect(button('Undo').getAttribute('title')).resolves.toMatch(/^Undo Extend right/)
    // Ctrl+Enter generates from anywhere, not only from the prompt box.
    await generate('a red circle on a light blue background', 25, 1, 'keys')
    await page.screenshot({ path: join(shots, '04-extend-staged.png') })
    // Extend shows the whole canvas; the staged fill meets the picture without a seam (drawn
    // smoothed when zoomed in, its edge used to blend with the transparent pixels beside it).
    await page.mouse.move(2, 2)
    const canvas = page.getByTestId('editor.canvas')
    const shot = await sharp(await canvas.screenshot())
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true })
    const at = (x: number, y: number) =>
      [0, 1, 2].map((c) => shot.data[(y * shot.info.width + x) * 3 + c]!)
    const surround = at(1, 1)
    const middle = Math.round(shot.info.height / 2)
    let left = 0
    while (at(left, middle).every((value, c) => value === surround[c])) left++
    let right = shot.info.width - 1
    while (at(right, middle).every((value, c) => value === surround[c])) right--
    const scale = (right - left + 1) / 384
    expect(scale).toBeGreaterThan(1)
    const seam = Math.round(left + 256 * scale)
    const row = Math.round(middle + 110 * scale)
    let worst = 0
    for (let x = seam - 6; x <= seam + 6; x++) {
      const deviation = Math.max(...at(x, row).map((value, c) => Math.abs(value - sky[c]!)))
      worst = Math.max(worst, deviation)
    }
    process.stderr.write(
      `extend seam: worst deviation from the sky ${worst} at ${scale.toFixed(2)}×\n`,
    )
    expect(worst).toBeLessThan(12)
    await button('Accept').click()
    await expect.poll(() => layerItems().count()).toBe(2)
    const exported = await exportPng('05-extend-exported')
    expectPictureContinued(exported, picture, 'extend right')
    expect(pageErrors).toEqual([])
  }, 420_000)

  it('outpaints a 256×256 picture on a 384×256 canvas: no holes, the sky continued', async () => {
    await freshPage()
    const picture = circlePicture(256, 256, 100, 128, 40)
    await openThroughPicker(await writePicture('circle-256.png', picture))

    await button('Canvas size').click()
    const form = page.getByRole('form', { name: 'Canvas size' })
    await form.getByLabel('Width').fill('384')
    await form.getByLabel('Picture at').selectOption('left')
    await form.getByRole('button', { name: 'Apply' }).click()
    // The generation frame (256², over the picture) moves 128 px right onto the empty part. At
    // 100 % the 384×256 canvas is centred, so the frame's centre is 64 px left of the middle.
    await button('100%').click()
    const box = (await page.getByTestId('editor.canvas').boundingBox())!
    const middle = { x: box.x + box.width / 2, y: box.y + box.height / 2 }
    await dragOnDocument(middle, 'Generation frame', { x: -64, y: 0 }, { x: 64, y: 0 })
    await expect
      .poll(() => panel().getByText('Outpaints the transparent part of the frame.').count())
      .toBe(1)
    await generate('a red circle on a light blue background', 25, 1)
    await page.screenshot({ path: join(shots, '04-outpaint-staged.png') })
    await button('Accept').click()
    await expect.poll(() => layerItems().count()).toBe(2)
    const exported = await exportPng('05-outpaint-exported')
    expectPictureContinued(exported, picture, 'outpaint')
    expect(pageErrors).toEqual([])
  }, 420_000)

  it('inpaints near the edge of a text-to-image result on the blank canvas around it: nothing is added outside the picture', async () => {
    // The first thing a user does: a 512 px result in the middle of the new 1024 px document,
    // then a mask near its right edge. The frame fits around the mask inside the picture: it
    // used to spill past the picture's edge and outpaint a strip of the empty canvas.
    await freshPage()
    await generate('a red circle left of a blue square', 20, 1)
    await button('Accept').click()
    await expect.poll(() => layerItems().count()).toBe(2)
    const before = await exportPng('08-edge-text2im-exported')
    expect([before.width, before.height]).toEqual([1024, 1024])
    const picture = { x: 256, y: 256, side: 512 }
    const inPicture = (x: number, y: number) =>
      x >= picture.x &&
      x < picture.x + picture.side &&
      y >= picture.y &&
      y < picture.y + picture.side
    const opaqueOutside = (image: { data: Buffer }) => {
      let count = 0
      for (let y = 0; y < 1024; y++) {
        for (let x = 0; x < 1024; x++)
          if (!inPicture(x, y) && image.data[(y * 1024 + x) * 4 + 3] !== 0) count++
      }
      return count
    }
    expect(opaqueOutside(before)).toBe(0)

    // At 100 % the canvas's middle is the document's centre (512, 512).
    await button('100%').click()
    const box = (await page.getByTestId('editor.canvas').boundingBox())!
    const centre = { x: box.x + box.width / 2 - 512, y: box.y + box.height / 2 - 512 }
    const mask = { x: 540, y: 300, width: 208, height: 220 }
    await maskRectangle(centre, mask)
    await generate('a green triangle', 20, 2)
    await page.screenshot({ path: join(shots, '09-edge-inpaint-staged.png') })
    await button('Accept').click()
    await expect.poll(() => layerItems().count()).toBe(3)
    // The Layers panel gives layer names the row's width (the opacity slider sits under the
    // name): "a green triangle" shows whole, where it used to be cut to "a gree…".
    const nameShown = page.locator('.layer-name[title="a green triangle (2)"] .layer-name-text')
    const nameWidths = await nameShown.evaluate((name) => {
      const range = document.createRange()
      range.selectNodeContents(name)
      const text = name.textContent ?? ''
      range.setEnd(name.firstChild!, text.indexOf(' (2)'))
      return { box: name.clientWidth, prompt: range.getBoundingClientRect().width }
    })
    process.stderr.write(`layer name: ${JSON.stringify(nameWidths)}\n`)
    expect(nameWidths.box).toBeGreaterThanOrEqual(nameWidths.prompt)
    // The new layer's details say where its frame was: inside the picture, around the mask.
    const details = page.getByRole('definition').filter({ hasText: '² at ' })
    const [side, x, y] = ((await details.textContent()) ?? '').match(/\d+/g)!.map(Number) as [
      number,
      number,
      number,
    ]
    expect(inPicture(x, y) && inPicture(x + side - 1, y + side - 1)).toBe(true)
    expect(x <= mask.x && y <= mask.y).toBe(true)
    expect(x + side >= mask.x + mask.width && y + side >= mask.y + mask.height).toBe(true)
    const after = await exportPng('10-edge-inpaint-exported')
    let changedOutsideMask = 0
    let changedInsideMask = 0
    for (let py = 0; py < 1024; py++) {
      for (let px = 0; px < 1024; px++) {
        const i = (py * 1024 + px) * 4
        const changed = [0, 1, 2, 3].some((c) => after.data[i + c] !== before.data[i + c])
        const masked =
          px >= mask.x && px < mask.x + mask.width && py >= mask.y && py < mask.y + mask.height
        if (changed && masked) changedInsideMask++
        else if (changed) changedOutsideMask++
      }
    }
    process.stderr.write(
      `edge inpaint: frame ${side}² at ${x}, ${y}; changed inside the mask ${changedInsideMask}, ` +
        `outside ${changedOutsideMask}, opaque outside the picture ${opaqueOutside(after)}\n`,
    )
    expect(opaqueOutside(after)).toBe(0)
    expect(changedOutsideMask).toBe(0)
    expect(changedInsideMask).toBeGreaterThan(0.5 * mask.width * mask.height)
    expect(pageErrors).toEqual([])
  }, 420_000)

  it('Accept all keeps the variation on view on the canvas and adds the others hidden', async () => {
    await freshPage()
    const form = panel()
    // Long enough to be cut short in the Layers panel.
    const prompt = 'a blue circle above a small red square on the left'
    await form.getByLabel('Prompt', { exact: true }).fill(prompt)
    await form.getByLabel('Steps', { exact: true }).fill('20')
    await form.getByLabel('Variations', { exact: true }).fill('2')
    await form.getByRole('checkbox', { name: 'New seed each run' }).uncheck()
    await form.getByLabel('Seed', { exact: true }).fill('5')
    await form.getByRole('button', { name: 'Generate', exact: true }).click()
    const results = page.getByRole('group', { name: 'Results' })
    await results.waitFor({ timeout: 240_000 })
    await page.getByRole('button', { name: 'Next result' }).click()
    await expect.poll(() => results.textContent()).toContain('2 / 2')
    await button('Accept all').click()
    await expect.poll(() => layerItems().count()).toBe(3)
    await page.screenshot({ path: join(shots, '11-accept-all.png') })
    // The variation that was on view is on top, shown and active; the other is hidden.
    const names = await layerItems().evaluateAll((items) =>
      items.map((item) => item.getAttribute('aria-label')),
    )
    expect(names).toEqual([`${prompt} (5 #2)`, `${prompt} (5 #1)`, 'Background'])
    await expect(page.getByRole('button', { name: `Hide ${prompt} (5 #2)` }).count()).resolves.toBe(
      1,
    )
    await expect(page.getByRole('button', { name: `Show ${prompt} (5 #1)` }).count()).resolves.toBe(
      1,
    )
    // The names are cut short, and each row still shows which variation it is, inside the row.
    const rows = await layerItems().evaluateAll((items) =>
      items.slice(0, 2).map((item) => {
        const text = item.querySelector('.layer-name-text')!
        const badge = item.querySelector<HTMLElement>('[data-testid="layer-variation"]')
        const row = item.getBoundingClientRect()
        const box = badge?.getBoundingClientRect()
        return {
          cut: text.scrollWidth > text.clientWidth,
          badge: badge?.textContent ?? null,
          inside: box !== undefined && box.width > 0 && box.right <= row.right,
        }
      }),
    )
    expect(rows).toEqual([
      { cut: true, badge: '#2', inside: true },
      { cut: true, badge: '#1', inside: true },
    ])
    // What the user sees, exported: the whole 512 px frame is there (it used to be all hidden).
    const exported = await exportPng('12-accept-all-exported')
    let opaque = 0
    for (let i = 3; i < exported.data.length; i += 4) if (exported.data[i] === 255) opaque++
    expect(opaque).toBe(512 * 512)
    expect(pageErrors).toEqual([])
  }, 420_000)

  it('refines a sketch painted with the Paint tool into the shape the prompt names (scene detector)', async () => {
    const picture = flatPicture(128, 128, sky)
    const path = await writePicture('sky-128.png', picture)
    await freshPage()
    await openThroughPicker(path)
    // At 100 % the document is centred on whole pixels (documentOrigin reads it from the canvas,
    // but here the frame's outline runs along the flat picture's top edge).
    await button('100%').click()
    const box = (await page.getByTestId('editor.canvas').boundingBox())!
    const origin = {
      x: box.x + Math.round((box.width - picture.width) / 2),
      y: box.y + Math.round((box.height - picture.height) / 2),
    }
    // A person's quick sketch: a thick red stroke on the left, longer than it is high.
    await page.getByLabel('Paint colour').fill('#dc2828')
    await page.getByRole('slider', { name: 'Brush size' }).fill('24')
    await dragOnDocument(origin, 'Paint', { x: 18, y: 64 }, { x: 46, y: 64 })
    await exportPng('08-sketch')
    await panel().getByRole('checkbox', { name: 'Refine the frame' }).check()
    await panel().getByRole('slider', { name: 'Strength' }).fill('0.5')
    const files = [join(shots, '08-sketch.png')]
    for (const shape of ['circle', 'square']) {
      await generate(`a red ${shape} on the left`, 25, 7)
      await button('Accept').click()
      await expect.poll(() => layerItems().count()).toBe(2)
      const name = `09-sketch-refined-${shape}`
      await exportPng(name)
      files.push(join(shots, `${name}.png`))
      // Undo the accept: the next prompt refines the same sketch.
      await page.keyboard.press('Control+z')
      await expect.poll(() => layerItems().count()).toBe(1)
      // (The results' Discard: earlier cases' recovery copies offer a Discard of their own.)
      await page
        .getByRole('group', { name: 'Results' })
        .getByRole('button', { name: 'Discard', exact: true })
        .click()
    }
    const [sketch, circle, square] = detect(files)
    process.stderr.write(
      `sketch: ${JSON.stringify(sketch)}, refined: ${JSON.stringify(circle)}, ` +
        `${JSON.stringify(square)}\n`,
    )
    // The sketch's colour and place stay; the prompt decides the shape (the stroke itself reads
    // as neither: the detector calls it a heart).
    expect(sketch).not.toEqual([['red', 'circle', 'left']])
    expect(sketch).not.toEqual([['red', 'square', 'left']])
    expect(circle).toEqual([['red', 'circle', 'left']])
    expect(square).toEqual([['red', 'square', 'left']])
    expect(pageErrors).toEqual([])
  }, 300_000)

  it('refines: at strength 0.3 the layout stays, at 1.0 the prompt decides (scene detector)', async () => {
    const picture = circlePicture(128, 128, 32, 64, 23)
    const path = await writePicture('circle-128.png', picture)
    expect(detect([path])).toEqual([[['red', 'circle', 'left']]])
    const files: string[] = []
    for (const strength of [0.3, 1]) {
      await freshPage()
      await openThroughPicker(path)
      await panel().getByRole('checkbox', { name: 'Refine the frame' }).check()
      await panel().getByRole('slider', { name: 'Strength' }).fill(String(strength))
      await expect
        .poll(() => panel().getByText('Refines the whole frame (image to image).').count())
        .toBe(1)
      await generate('a green square on the right', 25, 1)
      await page.screenshot({ path: join(shots, `06-refine-${strength}-staged.png`) })
      await button('Accept').click()
      await expect.poll(() => layerItems().count()).toBe(2)
      const name = `07-refine-${strength}-exported`
      const exported = await exportPng(name)
      expect([exported.width, exported.height]).toEqual([128, 128])
      files.push(join(shots, `${name}.png`))
    }
    const [kept, decided] = detect(files)
    process.stderr.write(
      `refine: 0.3 → ${JSON.stringify(kept)}, 1.0 → ${JSON.stringify(decided)}\n`,
    )
    expect(kept).toEqual([['red', 'circle', 'left']])
    expect(decided?.[0]).toEqual(['green', 'square', 'right'])
    expect(decided?.some(([colour]) => colour === 'red')).toBe(false)
    expect(pageErrors).toEqual([])
  }, 600_000)
})

/**
 * An outpainted 384×256 export of a 256×256 picture at its left: no holes, nothing black, the
 * picture's pixels unchanged, and most of the new part the picture's sky.
 */
function expectPictureContinued(
  exported: Awaited<ReturnType<typeof exportPng>>,
  picture: ReturnType<typeof circlePicture>,
  name: string,
): void {
  expect([exported.width, exported.height]).toEqual([384, 256])

  let holes = 0
  let black = 0
  let changedPicture = 0
  let newPixels = 0
  let skyPixels = 0
  const skyDistance = [0, 0, 0]
  for (let y = 0; y < 256; y++) {
    for (let x = 0; x < 384; x++) {
      const i = (y * 384 + x) * 4
      const pixel = [0, 1, 2].map((c) => exported.data[i + c]!)
      if (exported.data[i + 3] !== 255) holes++
      if (pixel.every((value) => value < 40)) black++
      if (x < 256) {
        const old = picture.data.subarray((y * 256 + x) * 3, (y * 256 + x) * 3 + 3)
        if (pixel.some((value, c) => value !== old[c])) changedPicture++
        continue
      }
      newPixels++
      const distance = pixel.map((value, c) => Math.abs(value - sky[c]!))
      if (Math.max(...distance) > 30) continue
      distance.forEach((d, c) => (skyDistance[c]! += d))
      skyPixels++
    }
  }
  const skyMean = skyDistance.map((sum) => sum / skyPixels)
  process.stderr.write(
    `${name}: holes ${holes}, black ${black}, sky share ${(skyPixels / newPixels).toFixed(3)}, ` +
      `sky |d| ${skyMean.map((v) => v.toFixed(2))}\n`,
  )
  expect(holes).toBe(0)
  expect(black).toBe(0)
  expect(changedPicture).toBe(0)
  // Most of the new part is sky, and that sky is the picture's.
  expect(skyPixels / newPixels).toBeGreaterThan(0.6)
  for (const value of skyMean) expect(value).toBeLessThan(6)
}
