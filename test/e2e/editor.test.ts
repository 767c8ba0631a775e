/**
 * The layered editor end to end in browser mode: drop an image, paint a mask, inpaint with the
 * small reference inpainting model (real ONNX sessions in the host child process), accept,
 * inpaint again, undo/redo, export .ora/.psd/.png, then a crash and recovery.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LayerData, ProjectData } from '../../contract/documents'
import type { GlideOptions } from '../../main/engine/glideOptions'
import { readOpenRaster } from '../../main/documents/openRaster'
import { readPngTextChunks } from '../../main/documents/pngText'
import { importCheckpoint } from '../../main/models/importer'
import { startBrowserMode, type BrowserMode } from '../../main/server/browserMode'
import { buildRenderer, launchChromium, openPage } from '../helpers/browser'
import { readPsd } from '../main/documents/psdReader'

let rendererDir: string
const configDir = mkdtempSync(join(tmpdir(), 'glide-editor-config-'))
const exportsDir = mkdtempSync(join(tmpdir(), 'glide-editor-downloads-'))
const recoveryDir = join(configDir, 'recovery')
let modelsDir: string
let mode: BrowserMode | null = null
let browser: Browser
let page: Page
const pageErrors: string[] = []

async function importReference(
  kind: 'base' | 'base-inpaint',
  folder: string,
  id: string,
): Promise<void> {
  const fixture = fileURLToPath(new URL(`../fixtures/glide-reference/${folder}/`, import.meta.url))
  const { options } = JSON.parse(readFileSync(join(fixture, 'config.json'), 'utf8')) as {
    options: Partial<GlideOptions>
  }
  await importCheckpoint({
    kind,
    checkpointPath: join(fixture, 'checkpoint.pt'),
    options,
    outDir: join(modelsDir, id),
  })
}

async function openSession(): Promise<void> {
  mode = await startBrowserMode({ staticDir: rendererDir, modelsDir, configDir })
  page = await openPage(browser, mode.server.url, {
    viewport: { width: 1400, height: 900 },
    acceptDownloads: true,
    pageErrors,
  })
}

beforeAll(async () => {
  modelsDir = mkdtempSync(join(tmpdir(), 'glide-editor-models-'))
  await importReference('base', 'unet-base', 'reference-base')
  await importReference('base-inpaint', 'unet-base-inpaint', 'reference-base-inpaint')
  rendererDir = await buildRenderer()
  browser = await launchChromium()
  await openSession()
})

afterAll(async () => {
  await browser?.close()
  await mode?.close()
})

const layerItems = () => page.getByTestId('layers.item')
const promptForm = () => page.getByRole('form', { name: 'Prompt panel' })

async function dropImage(
  fileName: string,
  png: Buffer,
  at: { x: number; y: number },
): Promise<void> {
  const canvas = page.getByTestId('editor.canvas')
  const box = (await canvas.boundingBox())!
  const dataTransfer = await page.evaluateHandle(
    ({ bytes, name }) => {
      const transfer = new DataTransfer()
      transfer.items.add(new File([new Uint8Array(bytes)], name, { type: 'image/png' }))
      return transfer
    },
    { bytes: [...png], name: fileName },
  )
  await canvas.dispatchEvent('drop', { dataTransfer, clientX: box.x + at.x, clientY: box.y + at.y })
}

async function paintStroke(points: [number, number][]): Promise<void> {
  const box = (await page.getByTestId('editor.canvas').boundingBox())!
  await page.getByRole('button', { name: 'Brush', exact: true }).click()
  const [first, ...rest] = points
  await page.mouse.move(box.x + first![0], box.y + first![1])
  await page.mouse.down()
  for (const [x, y] of rest) await page.mouse.move(box.x + x, box.y + y, { steps: 4 })
  await page.mouse.up()
}

async function inpaint(prompt: string, seed: number, variations: number): Promise<void> {
  const form = promptForm()
  await form.getByLabel('Upsampler', { exact: true }).selectOption({ label: 'None (base size)' })
  await form.getByLabel('Prompt', { exact: true }).fill(prompt)
  await form.getByRole('checkbox', { name: 'New seed each run' }).uncheck()
  await form.getByLabel('Seed', { exact: true }).fill(String(seed))
  await form.getByLabel('Variations', { exact: true }).fill(String(variations))
  await form.getByLabel('Steps', { exact: true }).fill('6')
  await form.getByRole('button', { name: 'Generate', exact: true }).click()
  await page.getByRole('group', { name: 'Results' }).waitFor({ timeout: 110_000 })
}

/** Browser mode downloads exports: the file the browser saved, named as the message says. */
async function exportAs(format: string): Promise<string> {
  const pending = page.waitForEvent('download')
  await page.getByRole('combobox', { name: 'Export' }).selectOption(format)
  const download = await pending
  const path = join(exportsDir, download.suggestedFilename())
  await download.saveAs(path)
  await expect
    .poll(() => page.locator('.editor-banner[role="status"]').last().textContent())
    .toContain(`Exported ${download.suggestedFilename()}`)
  return path
}

/** Alpha of a layer at a canvas pixel (0 outside its bounds). */
function alphaAt(layer: LayerData, x: number, y: number): number {
  const pixels = layer.pixels
  if (!pixels) return 0
  const { bounds, data } = pixels
  const lx = x - bounds.x
  const ly = y - bounds.y
  if (lx < 0 || ly < 0 || lx >= bounds.width || ly >= bounds.height) return 0
  return data[(ly * bounds.width + lx) * 4 + 3]!
}

/**
 * The composite's pixels where no generated layer has coverage (outside the feathered masks) are
 * exactly the source layers' pixels; the generated layers cover some pixels, but only a few.
 */
function expectUntouchedOutsideMasks(project: ProjectData, composite: Buffer): void {
  const sources = project.layers.filter((layer) => !layer.name.includes('('))
  const generated = project.layers.filter((layer) => layer.name.includes('('))
  expect(sources.length).toBe(2)
  expect(generated.length).toBe(2)
  let outside = 0
  let covered = 0
  let mismatched = 0
  for (let y = 0; y < project.height; y++) {
    for (let x = 0; x < project.width; x++) {
      if (generated.some((layer) => alphaAt(layer, x, y) > 0)) {
        covered++
        continue
      }
      const top = [...sources].reverse().find((layer) => alphaAt(layer, x, y) === 255)
      if (!top?.pixels) continue
      const { bounds, data } = top.pixels
      const source = ((y - bounds.y) * bounds.width + (x - bounds.x)) * 4
      const target = (y * project.width + x) * 4
      outside++
      for (let channel = 0; channel < 4; channel++) {
        if (data[source + channel] !== composite[target + channel]) mismatched++
      }
    }
  }
  expect(mismatched).toBe(0)
  expect(covered).toBeGreaterThan(0)
  expect(covered).toBeLessThan(project.width * project.height * 0.05)
  expect(outside).toBeGreaterThan(20_000)
}

describe('layered editor, end to end', () => {
  it('imports a dropped image as a new layer', async () => {
    await expect.poll(() => layerItems().count()).toBe(1)
    const png = await sharp({
      create: { width: 300, height: 200, channels: 4, background: '#3366cc' },
    })
      .png()
      .toBuffer()
    await dropImage('sky.png', png, { x: 300, y: 300 })
    await expect.poll(() => layerItems().count()).toBe(2)
    await expect.poll(() => layerItems().first().getAttribute('aria-label')).toBe('sky')
  })

  it('refuses bad files with a message and leaves the document untouched', async () => {
    const good = await sharp({
      create: { width: 8, height: 8, channels: 4, background: '#ffffff' },
    })
      .png()
      .toBuffer()
    const bombHeader = Buffer.from(good)
    bombHeader.writeUInt32BE(30000, 16)
    bombHeader.writeUInt32BE(30000, 20)
    const badFiles: [string, Buffer, RegExp][] = [
      ['truncated.png', good.subarray(0, good.length - 20), /truncated\.png could not be decoded/],
      [
        'bomb.png',
        bombHeader,
        /bomb\.png is 30000×30000; images may be at most 8192 pixels a side/,
      ],
      [
        'notes.png',
        Buffer.from('just some text, not a picture'),
        /notes\.png is not a valid image/,
      ],
      [
        'vector.svg',
        Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
        /vector\.svg is not in a supported format/,
      ],
    ]
    for (const [name, bytes, expected] of badFiles) {
      await dropImage(name, bytes, { x: 200, y: 200 })
      // A failure is an alert, and stays until dismissed.
      const status = page.locator('.editor-banner[role="alert"]').filter({ hasText: expected })
      await status.first().waitFor()
      await status.first().getByRole('button', { name: 'Dismiss' }).click()
      await expect.poll(() => layerItems().count()).toBe(2)
    }
    expect(pageErrors).toEqual([])
  })

  it('news over the canvas goes after 8 s; a failure stays until dismissed', async () => {
    await exportAs('png')
    const news = page.locator('.editor-message[role="status"]')
    expect(await news.count()).toBe(1)
    await page.waitForTimeout(8_500)
    expect(await news.count()).toBe(0)
    await dropImage('broken.png', Buffer.from('not a picture'), { x: 200, y: 200 })
    const failure = page.locator('.editor-message[role="alert"]')
    await failure.waitFor()
    await page.waitForTimeout(8_500)
    expect(await failure.isVisible()).toBe(true)
    await failure.getByRole('button', { name: 'Dismiss' }).click()
    expect(await failure.count()).toBe(0)
  })

  it('masks, inpaints, accepts; inpaints again; undo and redo cover accept', async () => {
    await paintStroke([
      [280, 280],
      [340, 300],
      [360, 340],
    ])
    await inpaint('a red boat', 4242, 2)
    await expect
      .poll(() => page.getByRole('group', { name: 'Results' }).textContent())
      .toContain('1 / 2')
    await page.getByRole('button', { name: 'Next result' }).click()
    await page.getByRole('button', { name: 'Accept', exact: true }).click()
    await expect.poll(() => layerItems().count()).toBe(3)
    await expect
      .poll(() => layerItems().first().getAttribute('aria-label'))
      .toBe('a red boat (4242 #2)')
    await expect.poll(() => page.getByRole('group', { name: 'Results' }).count()).toBe(0)

    await page.getByRole('button', { name: 'Clear mask' }).click()
    await paintStroke([
      [300, 300],
      [320, 320],
    ])
    await inpaint('a white sail', 7, 1)
    await page.getByTestId('editor.canvas').focus()
    await page.keyboard.press('Enter')
    await expect.poll(() => layerItems().count()).toBe(4)
    await expect
      .poll(() => layerItems().first().getAttribute('aria-label'))
      .toBe('a white sail (7)')
    await layerItems().first().click()
    await expect.poll(() => page.getByRole('definition').first().textContent()).toBe('a white sail')

    await page.getByRole('button', { name: 'Undo' }).click()
    await expect.poll(() => layerItems().count()).toBe(3)
    await expect.poll(() => page.getByRole('group', { name: 'Results' }).count()).toBe(1)
    await page.getByRole('button', { name: 'Redo' }).click()
    await expect.poll(() => layerItems().count()).toBe(4)
    await page.keyboard.press('Control+z')
    await page.keyboard.press('Control+Shift+z')
    await expect.poll(() => layerItems().count()).toBe(4)
  })

  it('exports OpenRaster, PSD and PNG that match the layers', async () => {
    const ora = await readOpenRaster(await exportAs('ora'), 'check', 'check')
    expect(ora.layers.map((layer) => layer.name)).toEqual([
      'Background',
      'sky',
      'a red boat (4242 #2)',
      'a white sail (7)',
    ])
    const psd = readPsd(await readFile(await exportAs('psd')))
    expect(psd.layers.map((layer) => layer.unicodeName)).toEqual(
      ora.layers.map((layer) => layer.name),
    )
    const sail = ora.layers[3]!
    const psdSail = psd.layers[3]!
    expect([psdSail.left, psdSail.top]).toEqual([sail.pixels!.bounds.x, sail.pixels!.bounds.y])
    expect(Buffer.from(psdSail.rgba).equals(Buffer.from(sail.pixels!.data))).toBe(true)
    const png = await readFile(await exportAs('png'))
    expectUntouchedOutsideMasks(ora, await sharp(png).ensureAlpha().raw().toBuffer())
    const parameters = JSON.parse(readPngTextChunks(png).parameters!) as {
      layers: { prompt: string; seed: number }[]
    }
    expect(parameters.layers.map((layer) => [layer.prompt, layer.seed])).toEqual([
      ['a red boat', 4242],
      ['a white sail', 7],
    ])
  })

  it('offers the autosaved document after a crash and restores it', async () => {
    // Accepting autosaves; wait for the copy, then die without a clean shutdown.
    await expect
      .poll(
        async () =>
          (await readdir(recoveryDir).catch(() => [])).filter((name) => name.endsWith('.json'))
            .length,
      )
      .toBe(1)
    const [markerName] = (await readdir(recoveryDir)).filter((name) => name.endsWith('.json'))
    await page.close()
    await mode!.server.close()
    mode!.host.dispose()
    // The session dies: its heartbeat stops, and a minute later it is stale.
    const { recovery } = mode!.documents
    recovery.abandon()
    const sessionFile = join(recoveryDir, 'sessions', `${recovery.sessionId}.json`)
    const session = JSON.parse(await readFile(sessionFile, 'utf8')) as { heartbeatAt: string }
    await writeFile(
      sessionFile,
      JSON.stringify({ ...session, heartbeatAt: new Date(Date.now() - 60_000).toISOString() }),
    )
    mode = null

    await openSession()
    const banner = page.getByRole('alert', { name: 'Recovery' })
    await expect.poll(() => banner.textContent()).toContain('has unsaved changes')
    await banner.getByRole('button', { name: 'Restore' }).click()
    await expect.poll(() => layerItems().count()).toBe(4)
    await expect
      .poll(() => layerItems().first().getAttribute('aria-label'))
      .toBe('a white sail (7)')
    // The restored copy stays until the next save or autosave (a crash now loses nothing).
    expect((await readdir(recoveryDir)).includes(markerName!)).toBe(true)
    expect(pageErrors).toEqual([])
  })
})
