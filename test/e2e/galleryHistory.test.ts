/**
 * The Gallery keeps results between sessions, through the real UI in browser mode: a result made
 * in one server session is a PNG in the results folder (its prompt and settings inside), the next
 * session's Gallery shows it, Place puts its pixels on the canvas with its prompt and seed, Save
 * downloads the file itself, Delete (after asking) removes it and its file, and a folder that
 * cannot be written marks the result as kept for this session only.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobSummary } from '../../contract/jobs'
import { maxListedResults } from '../../contract/results'
import { readPngTextChunks } from '../../main/documents/pngText'
import { ResultHistory } from '../../main/results/resultHistory'
import { startBrowserMode, type BrowserMode } from '../../main/server/browserMode'
import { buildRenderer, launchChromium, openPage } from '../helpers/browser'
import { finishedJob, samplingSettings } from '../helpers/finishedJobs'
import { referenceModelsDir } from './referenceModel'

const shots = process.env.GLIDE_SHOTS_DIR ?? join(tmpdir(), 'glide-shots', 'galleryHistory')
const prompt = 'a red cube on a table'
const seed = 2718
const label = `${prompt} (${seed})`
let staticDir: string
let modelsDir: string
let browser: Browser

beforeAll(async () => {
  staticDir = await buildRenderer()
  modelsDir = await referenceModelsDir()
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
})

/** One server session on `configDir` with one page open on it. */
async function session(configDir: string): Promise<{ mode: BrowserMode; page: Page }> {
  const mode = await startBrowserMode({ staticDir, modelsDir, configDir })
  const page = await openPage(browser, mode.server.url, { acceptDownloads: true })
  return { mode, page }
}

async function end({ mode, page }: { mode: BrowserMode; page: Page }): Promise<void> {
  await page.close()
  await mode.close()
}

/** A 6-step result of the reference base at its own 64 px. */
async function generate(page: Page): Promise<void> {
  const panel = page.getByRole('form', { name: 'Prompt panel' })
  await panel.getByLabel('Prompt', { exact: true }).fill(prompt)
  await panel.getByRole('checkbox', { name: 'New seed each run' }).uncheck()
  await panel.getByLabel('Seed', { exact: true }).fill(String(seed))
  await panel
    .getByLabel('Model', { exact: true })
    .selectOption({ label: 'base model imported from checkpoint.pt' })
  await panel.getByLabel('Upsampler', { exact: true }).selectOption({ label: 'None (base size)' })
  await panel.getByLabel('Steps', { exact: true }).fill('6')
  await panel.getByRole('button', { name: 'Generate', exact: true }).click()
}

const gallery = (page: Page) => page.getByRole('region', { name: 'Gallery' })

/** The mean RGB of a canvas element's pixels, read back from the page. */
function canvasMean(page: Page, name: string): Promise<number[]> {
  return gallery(page)
    .getByRole('img', { name })
    .evaluate((node) => {
      const canvas = node as HTMLCanvasElement
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data
      const sums = [0, 0, 0]
      for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) sums[c]! += data[i + c]!
      return sums.map((sum) => sum / (data.length / 4))
    })
}

async function fileMean(file: string): Promise<number[]> {
  const { channels } = await sharp(file).stats()
  return channels.slice(0, 3).map((channel) => channel.mean)
}

describe('the Gallery between sessions', () => {
  const configDir = mkdtempSync(join(tmpdir(), 'glide-gallery-config-'))
  const resultsDir = join(configDir, 'results')

  it('keeps a result as a PNG with its prompt, and the next session shows it', async () => {
    const first = await session(configDir)
    try {
      await generate(first.page)
      await expect
        .poll(
          () =>
            gallery(first.page)
              .getByRole('img', { name: `Result: ${label}` })
              .count(),
          {
            timeout: 90_000,
          },
        )
        .toBe(1)
    } finally {
      await end(first)
    }
    const files = readdirSync(resultsDir)
    expect(files).toHaveLength(1)
    expect(files[0]).toMatch(/^\d{4}-\d{2}-\d{2}-\d{6}-a-red-cube-on-a-table-2718-1\.png$/)
    const parameters = JSON.parse(
      readPngTextChunks(readFileSync(join(resultsDir, files[0]!)))['parameters']!,
    )
    expect(parameters).toMatchObject({ prompt, seed, modelIds: ['reference-base'] })

    const next = await session(configDir)
    try {
      const thumbnail = gallery(next.page).getByRole('img', { name: `Result: ${label}` })
      await thumbnail.waitFor()
      await next.page.screenshot({ path: join(shots, 'next-session.png') })
      // The thumbnail shows the file's picture (the reference model's 64 px output, not blank).
      const shown = await canvasMean(next.page, `Result: ${label}`)
      const kept = await fileMean(join(resultsDir, files[0]!))
      for (let c = 0; c < 3; c++) expect(Math.abs(shown[c]! - kept[c]!)).toBeLessThan(1)
      expect(Math.max(...kept)).toBeGreaterThan(10)
    } finally {
      await end(next)
    }
  })

  it('places a kept result on the canvas with its prompt and seed, and saves its file', async () => {
    const current = await session(configDir)
    const { page } = current
    try {
      const layers = page.getByTestId('layers.item')
      const before = await layers.count()
      await gallery(page)
        .getByRole('button', { name: `Put on canvas: ${label}` })
        .click()
      await expect.poll(() => layers.count()).toBe(before + 1)
      await expect(layers.first().getAttribute('aria-label')).resolves.toBe(label)
      // The layer remembers what made it, so "Use these settings" can recall it.
      const details = page.getByRole('definition')
      await expect.poll(() => details.filter({ hasText: String(seed) }).count()).toBe(1)
      await expect(details.filter({ hasText: 'reference-base' }).count()).resolves.toBe(1)
      await page.screenshot({ path: join(shots, 'placed.png') })

      // Its details, and its settings back in the prompt panel.
      await gallery(page)
        .getByRole('img', { name: `Result: ${label}` })
        .click()
      const resultDetails = gallery(page).getByRole('group', { name: 'Result details' })
      await expect.poll(() => resultDetails.textContent()).toContain(prompt)
      await expect(resultDetails.textContent()).resolves.toContain('text to image')
      await expect(resultDetails.textContent()).resolves.toContain('64×64')
      const panel = page.getByRole('form', { name: 'Prompt panel' })
      await panel.getByLabel('Prompt', { exact: true }).fill('something else')
      await resultDetails.getByRole('button', { name: "Use this result's settings" }).click()
      await expect.poll(() => panel.getByLabel('Prompt', { exact: true }).inputValue()).toBe(prompt)
      await expect(panel.getByLabel('Seed', { exact: true }).inputValue()).resolves.toBe(
        String(seed),
      )
      await expect(panel.getByLabel('Steps', { exact: true }).inputValue()).resolves.toBe('6')
      await expect(
        panel.getByRole('checkbox', { name: 'New seed each run' }).isChecked(),
      ).resolves.toBe(false)
      await page.screenshot({ path: join(shots, 'details.png') })

      const download = page.waitForEvent('download')
      await gallery(page)
        .getByRole('button', { name: `Save as PNG: ${label}` })
        .click()
      const saved = await download
      expect(saved.suggestedFilename()).toBe('a-red-cube-on-a-table-2718-1.png')
      const bytes = readFileSync((await saved.path())!)
      const [file] = readdirSync(resultsDir)
      expect(Buffer.compare(bytes, readFileSync(join(resultsDir, file!)))).toBe(0)

      // Copy puts the kept picture on the clipboard, pixel for pixel.
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], {
        origin: new URL(current.mode.server.url).origin,
      })
      await resultDetails.getByRole('button', { name: 'Copy this result to the clipboard' }).click()
      await expect
        .poll(() => page.locator('.editor-message').textContent())
        .toContain(`Copied “${label}” (64×64) to the clipboard`)
      const copied = await page.evaluate(async () => {
        const [item] = await navigator.clipboard.read()
        return [...new Uint8Array(await (await item!.getType('image/png')).arrayBuffer())]
      })
      const pixels = (png: Buffer) => sharp(png).ensureAlpha().raw().toBuffer()
      expect(
        Buffer.compare(
          await pixels(Buffer.from(copied)),
          await pixels(readFileSync(join(resultsDir, file!))),
        ),
      ).toBe(0)
    } finally {
      await end(current)
    }
  })

  it('deletes a result and its file only when the person confirms', async () => {
    const current = await session(configDir)
    const { page } = current
    try {
      const deleteButton = gallery(page).getByRole('button', { name: `Delete result: ${label}` })
      const asked: string[] = []
      page.once('dialog', (dialog) => {
        asked.push(dialog.message())
        void dialog.dismiss()
      })
      await deleteButton.click()
      await expect.poll(() => asked.length).toBe(1)
      expect(asked[0]).toBe(`Delete “${label}” from the Gallery? Its file is deleted too.`)
      expect(readdirSync(resultsDir)).toHaveLength(1)
      // The Delete key on a focused result asks the same.
      page.once('dialog', (dialog) => {
        asked.push(dialog.message())
        void dialog.dismiss()
      })
      await gallery(page)
        .getByRole('img', { name: `Result: ${label}` })
        .focus()
      await page.keyboard.press('Delete')
      await expect.poll(() => asked.length).toBe(2)
      expect(asked[1]).toBe(asked[0])
      expect(readdirSync(resultsDir)).toHaveLength(1)

      page.once('dialog', (dialog) => void dialog.accept())
      await deleteButton.click()
      await expect
        .poll(() =>
          gallery(page)
            .getByRole('img', { name: `Result: ${label}` })
            .count(),
        )
        .toBe(0)
      expect(readdirSync(resultsDir)).toEqual([])
      await expect(gallery(page).textContent()).resolves.toContain(
        'Every result appears here and is kept between sessions.',
      )
    } finally {
      await end(current)
    }
  })

  it('with many results the grid scrolls inside the Gallery, the Layers panel stays in view, and the results past the newest 300 are counted', async () => {
    const crowdedConfig = mkdtempSync(join(tmpdir(), 'glide-gallery-config-'))
    const resultsFolder = join(crowdedConfig, 'results')
    // Two more than the Gallery lists, written by the store as the app writes them.
    const store = new ResultHistory({ directory: resultsFolder })
    const side = 64
    for (let n = 0; n < maxListedResults + 2; n++) {
      const rgba = new Uint8Array(side * side * 4).fill(255)
      for (let i = 0; i < rgba.length; i += 4) rgba[i + 1] = (n * 6) % 256
      await store.add(crowdedJob(n, rgba, side))
    }
    const current = await session(crowdedConfig)
    const { page } = current
    try {
      const grid = gallery(page).getByRole('list')
      await expect.poll(() => grid.getByRole('img').count()).toBe(maxListedResults)
      await expect(
        gallery(page).getByText(`2 older results are in ${resultsFolder}`).count(),
      ).resolves.toBe(1)
      // The newest first: the two oldest are the ones left out.
      await expect(
        gallery(page).getByRole('img', { name: 'Result: crowd 1 (1)' }).count(),
      ).resolves.toBe(0)
      const [scrollHeight, clientHeight] = await grid.evaluate((node) => [
        node.scrollHeight,
        node.clientHeight,
      ])
      expect(scrollHeight).toBeGreaterThan(clientHeight)
      await grid.evaluate((node) => node.scrollTo(0, node.scrollHeight))
      await gallery(page).getByRole('img', { name: 'Result: crowd 2 (2)' }).click()

      // A search narrows the grid to the prompts (or seed) typed; Esc shows every result again.
      const search = gallery(page).getByRole('searchbox', { name: 'Search the Gallery' })
      await search.fill('crowd 170')
      await expect.poll(() => grid.getByRole('img').count()).toBe(1)
      await expect(
        gallery(page).getByRole('img', { name: 'Result: crowd 170 (170)' }).count(),
      ).resolves.toBe(1)
      await expect(gallery(page).getByText('1 of 300 results').count()).resolves.toBe(1)
      await search.fill('nothing like it')
      await expect.poll(() => grid.getByRole('img').count()).toBe(0)
      await expect(
        gallery(page).getByText('No result matches “nothing like it”.').count(),
      ).resolves.toBe(1)
      await search.press('Escape')
      await expect.poll(() => grid.getByRole('img').count()).toBe(maxListedResults)
      await expect(search.inputValue()).resolves.toBe('')
      // The result chosen before the search is still the one whose details show.
      await grid.evaluate((node) => node.scrollTo(0, node.scrollHeight))
      const layersHeading = page.getByRole('heading', { name: 'Layers' })
      const box = (await layersHeading.boundingBox())!
      expect(box.y).toBeGreaterThanOrEqual(0)
      expect(box.y + box.height).toBeLessThanOrEqual(900)
      await expect(
        gallery(page).getByRole('group', { name: 'Result details' }).isVisible(),
      ).resolves.toBe(true)
      await page.screenshot({ path: join(shots, 'crowded.png') })
    } finally {
      await end(current)
    }
  })

  it('marks a result it could not keep, and says why', async () => {
    const blockedConfig = mkdtempSync(join(tmpdir(), 'glide-gallery-config-'))
    writeFileSync(join(blockedConfig, 'results'), 'a file where the results folder should be')
    const current = await session(blockedConfig)
    const { page } = current
    try {
      await generate(page)
      const mark = gallery(page).getByLabel(/^Not kept after this session: /)
      await mark.waitFor({ timeout: 90_000 })
      await expect(mark.getAttribute('aria-label')).resolves.toMatch(/results could not be written/)
      await expect(
        gallery(page)
          .getByRole('img', { name: `Result: ${label}` })
          .count(),
      ).resolves.toBe(1)
      await page.screenshot({ path: join(shots, 'not-kept.png') })
    } finally {
      await end(current)
    }
  })
})

/** A finished job of the crowd: its own prompt and seed, one picture. */
function crowdedJob(n: number, rgba: Uint8Array<ArrayBuffer>, side: number): JobSummary {
  return finishedJob({
    id: `crowd-${n}`,
    settings: samplingSettings({ prompt: `crowd ${n}`, seed: n, baseRespacing: '6' }),
    images: [{ width: side, height: side, rgba }],
    finishedAt: Date.UTC(2026, 11, 1) + n * 60_000,
    modelIds: ['reference-base'],
  })
}
