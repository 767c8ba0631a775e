/**
 * The prompt panel with a noised CLIP installed (the tiny CLIP fixture imported the way users
 * import checkpoints), in browser mode at 1440×900: the guidance mode appears, CLIP mode shows
 * its own scale with the contract's default and limits, and a submit carries guidanceMode 'clip'
 * with that scale to the queue.
 */
import { mkdirSync, mkdtempSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generationDefaults } from '../../contract/generation'
import type { JobSummary } from '../../contract/jobs'
import { parseClipConfigText } from '../../main/engine/clip/clipOptions'
import { importClipCheckpoint } from '../../main/models/importer'
import { canvasPixels, openBrowserMode, type BrowserModeSession } from '../helpers/browser'

let session: BrowserModeSession
let page: Page

declare global {
  interface Window {
    __clipJobs: JobSummary[]
  }
}

beforeAll(async () => {
  const modelsDir = mkdtempSync(join(tmpdir(), 'glide-clip-panel-models-'))
  const clipTiny = fileURLToPath(new URL('../fixtures/glide-reference/clip-tiny/', import.meta.url))
  const options = parseClipConfigText(
    await readFile(join(clipTiny, 'config.yaml'), 'utf8'),
    'config.yaml',
  )
  for (const [kind, file] of [
    ['clip-image', 'image_enc.pt'],
    ['clip-text', 'text_enc.pt'],
  ] as const) {
    await importClipCheckpoint({
      kind,
      checkpointPath: join(clipTiny, file),
      options,
      outDir: join(modelsDir, kind),
    })
  }
  session = await openBrowserMode({ modelsDir })
  page = session.page
  await page.evaluate(() => {
    window.__clipJobs = []
    window.glide!.subscribe('job.updated', (job) => window.__clipJobs.push(job))
  })
})

/** How many RGB pixels of two same-sized captures differ. */
function pixelsDiffering(a: Buffer, b: Buffer): number {
  expect(a.length).toBe(b.length)
  let differing = 0
  for (let i = 0; i < a.length; i += 3) {
    if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) differing += 1
  }
  return differing
}

afterAll(async () => {
  await session?.close()
})

describe('prompt panel with a CLIP model installed', () => {
  it('offers CLIP guidance with its own scale and submits it', async () => {
    const form = page.getByRole('form', { name: 'Prompt panel' })
    const guidedBy = form.getByLabel('Guided by', { exact: true })
    await guidedBy.waitFor()
    await expect(guidedBy.inputValue()).resolves.toBe('classifier-free')
    await guidedBy.selectOption('clip')
    const scale = form.getByLabel('CLIP guidance', { exact: true })
    await expect(scale.inputValue()).resolves.toBe(String(generationDefaults.clipGuidanceScale))
    await expect(form.getByLabel('Guidance', { exact: true }).count()).resolves.toBe(0)
    mkdirSync('/tmp/shots/B', { recursive: true })
    await page.screenshot({ path: '/tmp/shots/B/clip-mode.png' })

    await scale.fill('80')
    await form.getByRole('button', { name: 'Generate', exact: true }).click()
    await expect
      .poll(() => form.getByRole('alert').textContent())
      .toBe('CLIP guidance must be between 0 and 50')
    await expect(scale.getAttribute('aria-invalid')).resolves.toBe('true')

    await form.getByLabel('Prompt', { exact: true }).fill('a red cube')
    await scale.fill('4.5')
    await form.getByLabel('Steps', { exact: true }).fill('3')
    await form.getByRole('button', { name: 'Generate', exact: true }).click()
    await page.waitForFunction(() => window.__clipJobs.length > 0, undefined, { timeout: 30_000 })
    const [job] = await page.evaluate(() => window.__clipJobs)
    expect(job?.settings).toMatchObject({
      prompt: 'a red cube',
      guidanceMode: 'clip',
      clipGuidanceScale: 4.5,
      baseRespacing: '3',
    })
  })

  it('generates at CLIP guidance 0 with no CLIP loaded, and stages the result on the canvas', async () => {
    const form = page.getByRole('form', { name: 'Prompt panel' })
    await page.waitForFunction(
      () => window.__clipJobs.some((job) => job.finishedAt !== null),
      undefined,
      { timeout: 120_000 },
    )
    await form.getByLabel('Prompt', { exact: true }).fill('a blue square')
    await form.getByLabel('CLIP guidance', { exact: true }).fill('0')
    await form.getByRole('button', { name: 'Generate', exact: true }).click()
    await page.waitForFunction(
      () =>
        window.__clipJobs.some(
          (job) => job.settings.prompt === 'a blue square' && job.finishedAt !== null,
        ),
      undefined,
      { timeout: 120_000 },
    )
    const job = (await page.evaluate(() => window.__clipJobs)).findLast(
      (summary) => summary.settings.prompt === 'a blue square',
    )
    expect(job?.error).toBeNull()
    expect(job?.state).toBe('done')
    expect(job?.settings).toMatchObject({ guidanceMode: 'clip', clipGuidanceScale: 0 })
    // The base and upsampler ran; neither CLIP model was loaded.
    expect(job?.result?.modelIds.length).toBeGreaterThan(0)
    expect(job?.result?.modelIds.filter((id) => id.includes('clip'))).toEqual([])
    // Both results are in the gallery; the CLIP 0 one waits behind the first job's on the canvas.
    const gallery = page.getByRole('region', { name: 'Gallery' })
    await expect.poll(() => gallery.getByRole('img').count(), { timeout: 10_000 }).toBe(2)
    const results = page.getByRole('group', { name: 'Results' })
    await expect.poll(() => results.textContent(), { timeout: 10_000 }).toContain('(+1 waiting)')
    // The results bar keeps to one line with the waiting count in it (it used to wrap its text
    // and "Accept all" onto two lines).
    const barHeight = (await results.boundingBox())!.height
    const acceptHeight = (await results
      .getByRole('button', { name: 'Accept', exact: true })
      .boundingBox())!.height
    const acceptAllHeight = (await results
      .getByRole('button', { name: 'Accept all' })
      .boundingBox())!.height
    expect(acceptAllHeight).toBe(acceptHeight)
    expect(barHeight).toBeLessThan(1.6 * acceptHeight)
    const firstStaged = await canvasPixels(page)
    await results.getByRole('button', { name: 'Discard', exact: true }).click()
    await expect.poll(() => results.textContent(), { timeout: 10_000 }).toContain('1 / 1')
    await expect(results.textContent()).resolves.not.toContain('waiting')
    await page.screenshot({ path: '/tmp/shots/B/clip-0-staged.png' })
    // The canvas shows the CLIP 0 picture: neither the first job's nor the empty canvas.
    const clipZeroStaged = await canvasPixels(page)
    await results.getByRole('button', { name: 'Discard', exact: true }).click()
    await expect.poll(() => results.count(), { timeout: 10_000 }).toBe(0)
    const empty = await canvasPixels(page)
    expect(pixelsDiffering(clipZeroStaged, firstStaged)).toBeGreaterThan(1000)
    expect(pixelsDiffering(clipZeroStaged, empty)).toBeGreaterThan(1000)
  })
})
