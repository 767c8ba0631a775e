/**
 * The prompt panel, the canvas preview and the gallery as a user sees them, in browser mode at
 * 1440×900: the built renderer in Chromium, main's services and job queue, and the inference host
 * running real ONNX sessions of the small reference models (random weights, real architecture).
 * Every step sends a preview (previewIntervalMs 0) so the canvas can be read at each step.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generationDefaults } from '../../contract/generation'
import type { JobSummary } from '../../contract/jobs'
import type { GlideOptions } from '../../main/engine/glideOptions'
import { importCheckpoint } from '../../main/models/importer'
import { openBrowserMode, openPage, type BrowserModeSession } from '../helpers/browser'

const shots = '/tmp/shots/B'
let session: BrowserModeSession
let page: Page
let pageErrors: string[]

declare global {
  interface Window {
    __jobs: Map<string, JobSummary>
  }
}

async function importReference(modelsDir: string, kind: 'base' | 'base-inpaint', folder: string) {
  const fixture = fileURLToPath(new URL(`../fixtures/glide-reference/${folder}/`, import.meta.url))
  const { options } = JSON.parse(readFileSync(join(fixture, 'config.json'), 'utf8')) as {
    options: Partial<GlideOptions>
  }
  await importCheckpoint({
    kind,
    checkpointPath: join(fixture, 'checkpoint.pt'),
    options,
    outDir: join(modelsDir, `reference-${kind}`),
  })
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true })
  const modelsDir = mkdtempSync(join(tmpdir(), 'glide-panel-models-'))
  await importReference(modelsDir, 'base', 'unet-base')
  await importReference(modelsDir, 'base-inpaint', 'unet-base-inpaint')
  session = await openBrowserMode({ modelsDir, previewIntervalMs: 0 })
  page = session.page
  pageErrors = session.pageErrors
  await page.evaluate(() => {
    window.__jobs = new Map()
    window.glide!.subscribe('job.updated', (job) => window.__jobs.set(job.id, job))
  })
})

afterAll(async () => {
  await session?.close()
})

const panel = () => page.getByRole('form', { name: 'Prompt panel' })
const layerItems = () => page.getByTestId('layers.item')
const stagedResults = () => page.getByRole('group', { name: 'Results' })

async function jobs(): Promise<JobSummary[]> {
  return page.evaluate(() => [...window.__jobs.values()])
}

/** Fills the prompt and steps and presses Generate (variations 1). */
async function generate(prompt: string, steps: number): Promise<void> {
  await panel().getByLabel('Prompt', { exact: true }).fill(prompt)
  await panel().getByLabel('Steps', { exact: true }).fill(String(steps))
  await panel().getByLabel('Variations', { exact: true }).fill('1')
  await panel().getByRole('button', { name: 'Generate', exact: true }).click()
}

async function waitForJob(prompt: string, state: JobSummary['state']): Promise<JobSummary> {
  await page.waitForFunction(
    ([wanted, wantedState]) =>
      [...window.__jobs.values()].some(
        (job) => job.settings.prompt === wanted && job.state === wantedState,
      ),
    [prompt, state] as const,
    { timeout: 120_000 },
  )
  return (await jobs()).find((job) => job.settings.prompt === prompt && job.state === state)!
}

/**
 * The canvas's pixels over the generation frame, block-averaged to `blocks`² RGB means: every
 * Konva layer canvas drawn in order, as the screen shows them. A blank 1024² document fits the
 * canvas with a 24 px margin and its frame is the centred 512² square.
 */
async function frameBlocks(blocks: number): Promise<number[]> {
  return page.evaluate((count) => {
    const host = document.querySelector<HTMLElement>('[data-testid="editor.canvas"]')!
    const layers = [...host.querySelectorAll('canvas')]
    const { width, height } = host.getBoundingClientRect()
    const scale = Math.min((width - 48) / 1024, (height - 48) / 1024)
    const side = Math.floor(512 * scale) - 4
    const left = Math.round(width / 2 - side / 2)
    const top = Math.round(height / 2 - side / 2)
    const flat = document.createElement('canvas')
    flat.width = Math.round(width)
    flat.height = Math.round(height)
    const context = flat.getContext('2d')!
    for (const layer of layers) context.drawImage(layer, 0, 0, flat.width, flat.height)
    const data = context.getImageData(left, top, side, side).data
    const means: number[] = []
    for (let by = 0; by < count; by++) {
      for (let bx = 0; bx < count; bx++) {
        const sums = [0, 0, 0]
        let n = 0
        for (
          let y = Math.floor((by * side) / count);
          y < Math.floor(((by + 1) * side) / count);
          y++
        ) {
          for (
            let x = Math.floor((bx * side) / count);
            x < Math.floor(((bx + 1) * side) / count);
            x++
          ) {
            const i = (y * side + x) * 4
            sums[0]! += data[i]!
            sums[1]! += data[i + 1]!
            sums[2]! += data[i + 2]!
            n++
          }
        }
        means.push(...sums.map((sum) => sum / n))
      }
    }
    return means
  }, blocks)
}

/**
 * {@link frameBlocks} once the canvas holds still: it draws on an animation frame after each
 * change, so two reads an animation frame apart must agree.
 */
async function settledFrameBlocks(): Promise<number[]> {
  let last = await frameBlocks(8)
  for (;;) {
    await page.evaluate(
      () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))),
    )
    const next = await frameBlocks(8)
    if (JSON.stringify(next) === JSON.stringify(last)) return next
    last = next
  }
}

/** A part of the generation frame, in fractions of its side. */
interface FramePart {
  x0: number
  y0: number
  x1: number
  y1: number
}

/** The frame's rectangle on the screen (page coordinates). */
async function frameOnScreen(): Promise<{ x: number; y: number; side: number }> {
  const box = (await page.getByTestId('editor.canvas').boundingBox())!
  const scale = Math.min((box.width - 48) / 1024, (box.height - 48) / 1024)
  const side = 512 * scale
  return { x: box.x + box.width / 2 - side / 2, y: box.y + box.height / 2 - side / 2, side }
}

/**
 * Hashes each part of the frame on the canvas every animation frame until staged results appear,
 * keeping each part's distinct consecutive hashes.
 */
async function startSampling(parts: Record<string, FramePart>): Promise<void> {
  await page.evaluate((regions) => {
    const samples: Record<string, string[]> = {}
    for (const name of Object.keys(regions)) samples[name] = []
    ;(window as unknown as { __samples: Record<string, string[]> }).__samples = samples
    const host = document.querySelector<HTMLElement>('[data-testid="editor.canvas"]')!
    const sample = () => {
      if (document.querySelector('[role="group"][aria-label="Results"]')) return
      const { width, height } = host.getBoundingClientRect()
      const side = 512 * Math.min((width - 48) / 1024, (height - 48) / 1024)
      const left = width / 2 - side / 2
      const top = height / 2 - side / 2
      const flat = document.createElement('canvas')
      flat.width = Math.round(width)
      flat.height = Math.round(height)
      const context = flat.getContext('2d', { willReadFrequently: true })!
      for (const layer of host.querySelectorAll('canvas')) context.drawImage(layer, 0, 0)
      for (const [name, part] of Object.entries(regions)) {
        const x = Math.round(left + part.x0 * side)
        const y = Math.round(top + part.y0 * side)
        const w = Math.round((part.x1 - part.x0) * side)
        const h = Math.round((part.y1 - part.y0) * side)
        const data = context.getImageData(x, y, w, h).data
        let hash = 0
        for (let i = 0; i < data.length; i += 12) hash = (hash * 31 + data[i]!) | 0
        const list = samples[name]!
        if (list.at(-1) !== String(hash)) list.push(String(hash))
      }
      requestAnimationFrame(sample)
    }
    requestAnimationFrame(sample)
  }, parts)
}

/** How many times each part changed after the first sample. */
async function changesSeen(): Promise<Record<string, number>> {
  return page.evaluate(() =>
    Object.fromEntries(
      Object.entries((window as unknown as { __samples: Record<string, string[]> }).__samples).map(
        ([name, list]) => [name, list.length - 1],
      ),
    ),
  )
}

function correlation(a: number[], b: number[]): number {
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length
  const ma = mean(a)
  const mb = mean(b)
  let cov = 0
  let va = 0
  let vb = 0
  a.forEach((value, index) => {
    const da = value - ma
    const db = b[index]! - mb
    cov += da * db
    va += da * da
    vb += db * db
  })
  return cov / Math.sqrt(va * vb)
}

describe('prompt panel, canvas preview and gallery', () => {
  it('is one panel by the canvas with the contract defaults, and the shortcuts open in view', async () => {
    const form = panel()
    await expect(
      form.getByRole('textbox', { name: 'Prompt', exact: true }).isVisible(),
    ).resolves.toBe(true)
    await expect(form.getByLabel('Guidance', { exact: true }).inputValue()).resolves.toBe(
      String(generationDefaults.sampling.guidanceScale),
    )
    await expect(form.getByLabel('Steps', { exact: true }).inputValue()).resolves.toBe(
      generationDefaults.sampling.baseRespacing,
    )
    await expect(
      form.getByRole('checkbox', { name: 'New seed each run' }).isChecked(),
    ).resolves.toBe(true)
    await expect(
      form.getByRole('button', { name: 'Cancel', exact: true }).isDisabled(),
    ).resolves.toBe(true)
    await expect(page.getByRole('form', { name: 'Generation settings' }).count()).resolves.toBe(0)
    await expect(page.getByRole('textbox', { name: 'Prompt', exact: true }).count()).resolves.toBe(
      1,
    )
    await expect
      .poll(() => form.getByLabel('Model', { exact: true }).locator('option').allTextContents())
      .toContain('base model imported from checkpoint.pt')

    await form.getByRole('checkbox', { name: 'Refine the frame' }).check()
    const strength = form.getByRole('slider', { name: 'Strength' })
    await expect(strength.inputValue()).resolves.toBe(String(generationDefaults.strength))
    await form.getByRole('checkbox', { name: 'Refine the frame' }).uncheck()

    await page.getByRole('button', { name: 'Shortcuts' }).click()
    const shortcuts = page.getByRole('dialog', { name: 'Shortcuts' })
    const box = (await shortcuts.boundingBox())!
    expect(box.y).toBeGreaterThanOrEqual(0)
    expect(box.y + box.height).toBeLessThanOrEqual(900)
    expect(box.x + box.width).toBeLessThanOrEqual(1440)
    await page.screenshot({ path: join(shots, 'panel-shortcuts.png') })
    await page.getByRole('button', { name: 'Close shortcuts' }).click()
    await page.screenshot({ path: join(shots, 'panel.png') })
  })

  it('refuses bad values with a readable message and queues nothing', async () => {
    const form = panel()
    await form.getByLabel('Prompt', { exact: true }).fill('a bad value')
    await form.getByLabel('Guidance', { exact: true }).fill('60')
    await form.getByRole('button', { name: 'Generate', exact: true }).click()
    await expect
      .poll(() => form.getByRole('alert').textContent())
      .toBe('Guidance must be between 0 and 50')
    const guidance = form.getByLabel('Guidance', { exact: true })
    await expect(guidance.getAttribute('aria-invalid')).resolves.toBe('true')
    await expect(guidance.evaluate((input) => input === document.activeElement)).resolves.toBe(true)
    await page.screenshot({ path: join(shots, 'validation.png') })
    await form.getByLabel('Guidance', { exact: true }).fill('3')
    await form.getByLabel('Steps', { exact: true }).fill('0')
    await form.getByRole('button', { name: 'Generate', exact: true }).click()
    await expect
      .poll(() => form.getByRole('alert').textContent())
      .toMatch(/^Steps must be a whole number from 1 to 1000/)
    await form.getByRole('checkbox', { name: 'New seed each run' }).uncheck()
    await form.getByLabel('Seed', { exact: true }).fill('12.5')
    await form.getByLabel('Steps', { exact: true }).fill('4')
    await form.getByRole('button', { name: 'Generate', exact: true }).click()
    await expect
      .poll(() => form.getByRole('alert').textContent())
      .toBe('Seed must be a whole number')
    await form.getByRole('checkbox', { name: 'New seed each run' }).check()
    // A refused value in the folded upsampler settings opens them and takes the focus.
    await form.getByText('Upsampler settings').click()
    await form.getByLabel('Upsampler steps', { exact: true }).fill('0')
    await form.getByText('Upsampler settings').click()
    await form.getByRole('button', { name: 'Generate', exact: true }).click()
    const upsampleSteps = form.getByLabel('Upsampler steps', { exact: true })
    await expect.poll(() => upsampleSteps.isVisible()).toBe(true)
    await expect(upsampleSteps.evaluate((input) => input === document.activeElement)).resolves.toBe(
      true,
    )
    await upsampleSteps.fill('fast27')
    expect(await jobs()).toEqual([])
  })

  it('draws the step preview inside the frame: it changes at least 5 times in a 20-step job', async () => {
    const before = await frameBlocks(8)
    // Sample the frame every animation frame until the staged result appears.
    await page.evaluate(() => {
      const samples: string[] = []
      ;(window as unknown as { __samples: string[] }).__samples = samples
      const host = document.querySelector<HTMLElement>('[data-testid="editor.canvas"]')!
      const sample = () => {
        if (document.querySelector('[role="group"][aria-label="Results"]')) return
        const { width, height } = host.getBoundingClientRect()
        const scale = Math.min((width - 48) / 1024, (height - 48) / 1024)
        const side = Math.floor(512 * scale) - 4
        const flat = document.createElement('canvas')
        flat.width = side
        flat.height = side
        const context = flat.getContext('2d')!
        for (const layer of host.querySelectorAll('canvas')) {
          context.drawImage(
            layer,
            -Math.round(width / 2 - side / 2),
            -Math.round(height / 2 - side / 2),
          )
        }
        const data = context.getImageData(0, 0, side, side).data
        let hash = 0
        for (let i = 0; i < data.length; i += 28) hash = (hash * 31 + data[i]!) | 0
        if (samples.at(-1) !== String(hash)) samples.push(String(hash))
        requestAnimationFrame(sample)
      }
      requestAnimationFrame(sample)
    })
    await panel()
      .getByLabel('Upsampler', { exact: true })
      .selectOption({ label: 'None (base size)' })
    await generate('a preview on the canvas', 20)
    await stagedResults().waitFor({ timeout: 120_000 })
    const samples = await page.evaluate(
      () => (window as unknown as { __samples: string[] }).__samples,
    )
    // The first sample is the empty frame; every later one is a new preview on the canvas.
    expect(samples.length - 1).toBeGreaterThanOrEqual(5)
    const job = await waitForJob('a preview on the canvas', 'done')
    await page.screenshot({ path: join(shots, 'staged.png') })
    const staged = await frameBlocks(8)
    expect(correlation(before, staged)).toBeLessThan(0.9)
    await page.getByRole('button', { name: 'Accept', exact: true }).click()
    await expect
      .poll(() => layerItems().first().getAttribute('aria-label'))
      .toBe(`a preview on the canvas (${job.settings.seed})`)
  })

  it('draws a new seed for each submit and shows it in full', async () => {
    const seeds: number[] = []
    for (const prompt of ['seed one', 'seed two']) {
      await generate(prompt, 2)
      const job = await waitForJob(prompt, 'done')
      seeds.push(job.settings.seed)
      await expect
        .poll(() => panel().getByLabel('Seed', { exact: true }).inputValue())
        .toBe(String(job.settings.seed))
      await stagedResults().waitFor()
      await page.getByRole('button', { name: 'Accept', exact: true }).click()
      await expect
        .poll(() => layerItems().first().getAttribute('aria-label'))
        .toBe(`${prompt} (${job.settings.seed})`)
    }
    expect(seeds[0]).not.toBe(seeds[1])
    // The whole seed is visible in its field (no truncation at this width).
    const seedField = panel().getByLabel('Seed', { exact: true })
    const fits = await seedField.evaluate(
      (input: HTMLInputElement) => input.scrollWidth <= input.clientWidth,
    )
    expect(fits).toBe(true)
  })

  it('Ctrl+Enter in any field generates with what was just typed, Enter leaves the field, Ctrl+S saves', async () => {
    const newSeedEachRun = panel().getByLabel('New seed each run')
    await newSeedEachRun.uncheck()
    await panel().getByLabel('Prompt', { exact: true }).fill('typed seed')
    await panel().getByLabel('Steps', { exact: true }).fill('2')
    await panel().getByLabel('Variations', { exact: true }).fill('1')
    const seed = panel().getByLabel('Seed', { exact: true })
    await seed.fill('')
    await seed.pressSequentially('4242')
    await seed.press('Control+Enter')
    const job = await waitForJob('typed seed', 'done')
    expect([job.settings.seed, job.settings.baseRespacing]).toEqual([4242, '2'])
    // One job for one key press, and the field keeps the focus and its text.
    expect((await jobs()).filter((each) => each.settings.prompt === 'typed seed')).toHaveLength(1)
    await expect(seed.inputValue()).resolves.toBe('4242')
    expect(await seed.evaluate((input) => input === document.activeElement)).toBe(true)
    await stagedResults().waitFor()
    // Enter in a field leaves it without generating again; the next Enter accepts the result.
    const variations = panel().getByLabel('Variations', { exact: true })
    await variations.press('Enter')
    expect(await variations.evaluate((input) => input === document.activeElement)).toBe(false)
    await page.keyboard.press('Enter')
    await expect
      .poll(() => layerItems().first().getAttribute('aria-label'))
      .toBe('typed seed (4242)')
    expect((await jobs()).filter((each) => each.settings.prompt === 'typed seed')).toHaveLength(1)
    // Ctrl+S while typing the prompt saves the document (in browser mode: a download), rather
    // than the browser offering to save the page.
    const prompt = panel().getByLabel('Prompt', { exact: true })
    await prompt.click()
    const download = page.waitForEvent('download')
    await prompt.press('Control+s')
    expect((await download).suggestedFilename()).toBe('Untitled.glide')
    await expect(prompt.inputValue()).resolves.toBe('typed seed')
    await newSeedEachRun.check()
  })

  it('shows each of several results by a click on its thumbnail, as browsing does', async () => {
    await panel().getByLabel('Prompt', { exact: true }).fill('three ways')
    await panel().getByLabel('Steps', { exact: true }).fill('2')
    await panel().getByLabel('Variations', { exact: true }).fill('3')
    await panel().getByRole('button', { name: 'Generate', exact: true }).click()
    await waitForJob('three ways', 'done')
    await stagedResults().waitFor()
    const thumbnail = (n: number) =>
      stagedResults().getByRole('button', { name: `Result ${n}`, exact: true })
    expect(
      await stagedResults()
        .getByRole('button', { name: /^Result \d$/ })
        .count(),
    ).toBe(3)
    expect(await thumbnail(1).getAttribute('aria-pressed')).toBe('true')
    // Each thumbnail shows its own picture.
    const pictures = await stagedResults()
      .locator('canvas')
      .evaluateAll((canvases) =>
        canvases.map((canvas) => (canvas as HTMLCanvasElement).toDataURL()),
      )
    expect(new Set(pictures).size).toBe(3)
    const first = await settledFrameBlocks()
    await page.getByRole('button', { name: 'Next result' }).click()
    await page.getByRole('button', { name: 'Next result' }).click()
    await expect.poll(() => stagedResults().textContent()).toContain('3 / 3')
    const third = await settledFrameBlocks()
    expect(third).not.toEqual(first)
    await thumbnail(1).click()
    await expect.poll(() => thumbnail(1).getAttribute('aria-pressed')).toBe('true')
    expect(await stagedResults().textContent()).toContain('1 / 3')
    await expect.poll(() => frameBlocks(8)).toEqual(first)
    // Its number key does the same.
    await page.getByTestId('editor.canvas').focus()
    await page.keyboard.press('2')
    await expect.poll(() => thumbnail(2).getAttribute('aria-pressed')).toBe('true')
    expect(await stagedResults().textContent()).toContain('2 / 3')
    await thumbnail(3).click()
    await expect.poll(() => thumbnail(3).getAttribute('aria-pressed')).toBe('true')
    expect(await thumbnail(1).getAttribute('aria-pressed')).toBe('false')
    await expect.poll(() => frameBlocks(8)).toEqual(third)
    // Enter accepts the one chosen, though the click left the focus on its thumbnail.
    await page.keyboard.press('Enter')
    await expect
      .poll(() => layerItems().first().getAttribute('aria-label'))
      .toMatch(/^three ways \(\d+ #3\)$/)
    await expect.poll(() => stagedResults().count()).toBe(0)
  })

  it('cancels a queued job and the running one', async () => {
    await generate('long running', 400)
    await generate('waiting', 400)
    await page.waitForFunction(
      () =>
        [...window.__jobs.values()].some(
          (job) => job.settings.prompt === 'long running' && job.state === 'running',
        ),
      undefined,
      { timeout: 60_000 },
    )
    const queue = panel().getByRole('list', { name: 'Queue' })
    await expect.poll(() => queue.getByRole('listitem').count()).toBe(2)
    await page.screenshot({ path: join(shots, 'queue.png') })
    const waiting = (await jobs()).find((job) => job.settings.prompt === 'waiting')!
    await queue
      .getByRole('button', { name: `Cancel waiting (${waiting.settings.seed})`, exact: true })
      .click()
    await waitForJob('waiting', 'cancelled')
    await expect((await jobs()).find((job) => job.settings.prompt === 'long running')?.state).toBe(
      'running',
    )
    await panel().getByRole('button', { name: 'Cancel', exact: true }).click()
    const cancelled = await waitForJob('long running', 'cancelled')
    expect(cancelled.result).toBeNull()
    await expect.poll(() => queue.count()).toBe(0)
    await expect(stagedResults().count()).resolves.toBe(0)
  })

  it('puts a gallery result on the canvas as a layer with its pixels (undoable)', async () => {
    const gallery = page.getByRole('region', { name: 'Gallery' })
    const job = (await jobs()).find((entry) => entry.settings.prompt === 'seed one')!
    const name = `seed one (${job.settings.seed})`
    await expect(gallery.getByRole('img', { name: `Result: ${name}` }).count()).resolves.toBe(1)
    const layersBefore = await layerItems().count()
    await gallery.getByRole('button', { name: `Put on canvas: ${name}` }).click()
    await expect.poll(() => layerItems().count()).toBe(layersBefore + 1)
    await expect.poll(() => layerItems().first().getAttribute('aria-label')).toBe(name)
    // A placed result keeps what made it, as an accepted one does: its details show the seed.
    const details = page.getByRole('definition').filter({ hasText: String(job.settings.seed) })
    await expect.poll(() => details.count()).toBe(1)
    await page.waitForTimeout(100)
    await page.screenshot({ path: join(shots, 'gallery-placed.png') })

    // The frame on the canvas now shows that result: block means correlate with the result's.
    const blocks = 4
    const expected = await page.evaluate(
      ([id, count]) => {
        const result = window.__jobs.get(id)!.result!.images[0]!
        const cell = result.width / count
        const means: number[] = []
        for (let by = 0; by < count; by++) {
          for (let bx = 0; bx < count; bx++) {
            const sums = [0, 0, 0]
            for (let y = by * cell; y < (by + 1) * cell; y++) {
              for (let x = bx * cell; x < (bx + 1) * cell; x++) {
                const i = (y * result.width + x) * 4
                for (let c = 0; c < 3; c++) sums[c]! += result.rgba[i + c]!
              }
            }
            means.push(...sums.map((sum) => sum / (cell * cell)))
          }
        }
        return means
      },
      [job.id, blocks] as const,
    )
    const shown = await frameBlocks(blocks)
    expect(correlation(expected, shown)).toBeGreaterThan(0.95)
    const meanError =
      expected.reduce((sum, value, index) => sum + Math.abs(value - shown[index]!), 0) /
      expected.length
    expect(meanError).toBeLessThan(8)

    await page.getByRole('button', { name: 'Undo' }).click()
    await expect.poll(() => layerItems().count()).toBe(layersBefore)
    expect(pageErrors).toEqual([])
  })

  it('previews an inpaint only inside the painted mask', async () => {
    const frame = await frameOnScreen()
    await page.getByRole('button', { name: 'Rectangle mask', exact: true }).click()
    await page.mouse.move(frame.x + frame.side * 0.1, frame.y + frame.side * 0.1)
    await page.mouse.down()
    await page.mouse.move(frame.x + frame.side * 0.5, frame.y + frame.side * 0.5, { steps: 5 })
    await page.mouse.up()
    await expect
      .poll(() => panel().getByText('Inpaints the painted mask inside the frame.').count())
      .toBe(1)
    await startSampling({
      inside: { x0: 0.2, y0: 0.2, x1: 0.4, y1: 0.4 },
      outsideMask: { x0: 0.6, y0: 0.6, x1: 0.9, y1: 0.9 },
    })
    await generate('an inpainted corner', 20)
    await stagedResults().waitFor({ timeout: 120_000 })
    const changes = await changesSeen()
    expect(changes.inside).toBeGreaterThanOrEqual(5)
    expect(changes.outsideMask).toBe(0)
    const job = await waitForJob('an inpainted corner', 'done')
    expect(job.kind).toBe('inpaint')
    await page.screenshot({ path: join(shots, 'inpaint-staged.png') })
    // \\ hides the result to compare with the picture under it; the bar's Original shows it again.
    const withResult = await settledFrameBlocks()
    const showOriginal = page.getByRole('button', { name: 'Show original' })
    await page.keyboard.press('\\')
    await expect.poll(() => showOriginal.getAttribute('aria-pressed')).toBe('true')
    await expect.poll(() => frameBlocks(8)).not.toEqual(withResult)
    const original = await settledFrameBlocks()
    await showOriginal.click()
    await expect.poll(() => showOriginal.getAttribute('aria-pressed')).toBe('false')
    await expect.poll(() => frameBlocks(8)).toEqual(withResult)
    const layers = await layerItems().count()
    await page.getByRole('button', { name: 'Discard', exact: true }).click()
    await expect.poll(() => stagedResults().count()).toBe(0)
    expect(await layerItems().count()).toBe(layers)
    // What the comparison showed is the canvas without the result.
    await expect.poll(() => frameBlocks(8)).toEqual(original)
    await page.getByRole('button', { name: 'Clear mask' }).click()
  })

  it('refines the frame at the chosen strength, previewing its steps on the canvas', async () => {
    await panel().getByRole('checkbox', { name: 'Refine the frame' }).check()
    await panel().getByRole('slider', { name: 'Strength' }).fill('0.5')
    await expect
      .poll(() => panel().getByText('Refines the whole frame (image to image).').count())
      .toBe(1)
    await startSampling({ whole: { x0: 0.05, y0: 0.05, x1: 0.95, y1: 0.95 } })
    await generate('a refined frame', 40)
    await stagedResults().waitFor({ timeout: 120_000 })
    const job = await waitForJob('a refined frame', 'done')
    expect(job.kind).toBe('refine')
    // Strength 0.5 of 40 steps runs about 20 of them; the canvas is read once per animation frame,
    // so previews that land in the same frame count once (a loaded machine sees fewer).
    expect((await changesSeen()).whole).toBeGreaterThanOrEqual(5)
    await page.screenshot({ path: join(shots, 'refine-staged.png') })
    await page.getByRole('button', { name: 'Accept', exact: true }).click()
    await expect
      .poll(() => layerItems().first().getAttribute('aria-label'))
      .toBe(`a refined frame (${job.settings.seed})`)
    await panel().getByRole('checkbox', { name: 'Refine the frame' }).uncheck()
    expect(pageErrors).toEqual([])
  })

  it('starts the next session from the settings used last', async () => {
    const next = await openPage(session.browser, session.mode.server.url)
    try {
      const form = next.getByRole('form', { name: 'Prompt panel' })
      // The last Generate ran 40 steps with one variation at guidance 3.
      await expect.poll(() => form.getByLabel('Steps', { exact: true }).inputValue()).toBe('40')
      await expect(form.getByLabel('Variations', { exact: true }).inputValue()).resolves.toBe('1')
      await expect(form.getByLabel('Guidance', { exact: true }).inputValue()).resolves.toBe('3')
      // The gallery holds the session's results in the new page too.
      await expect
        .poll(() => next.getByRole('region', { name: 'Gallery' }).getByRole('img').count())
        .toBeGreaterThanOrEqual(5)
      // A result of another page's job goes into this document's frame.
      const seedOne = (await jobs()).find((job) => job.settings.prompt === 'seed one')!
      const name = `seed one (${seedOne.settings.seed})`
      await next
        .getByRole('region', { name: 'Gallery' })
        .getByRole('button', { name: `Put on canvas: ${name}` })
        .click()
      await expect
        .poll(() => next.getByTestId('layers.item').first().getAttribute('aria-label'))
        .toBe(name)
    } finally {
      await next.close()
    }
  })
})
