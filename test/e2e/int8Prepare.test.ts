/**
 * Fast's 8-bit U-Nets as a user meets them the first time, in browser mode: GLIDE-mini copied into
 * the user's models dir without its 8-bit copies. The first Fast job shows "Making the 8-bit model"
 * in the queue while the inference host calibrates each model Fast runs in 8 bits, then its result;
 * the copies are written beside those models, and the next Fast job goes straight to sampling. The
 * folded settings show the precision Fast chose.
 */
import { cp, mkdtemp, readdir } from 'node:fs/promises'
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { generationPresets, stagePrecision } from '../../contract/generation'
import type { JobSummary } from '../../contract/jobs'
import { calibrationCaptions, int8Files } from '../../main/inference/host/int8UNet'
import { openBrowserMode, type BrowserModeSession } from '../helpers/browser'
import { finishedJob, progressOf, progressTexts, recordJobs } from '../helpers/jobRecorder'

const shots = '/tmp/shots/ui'
const fastPrecision = generationPresets.fast.settings.unetPrecision ?? 'float32'
/** The mini models Fast runs in 8 bits, base first. */
const int8Models = (
  [
    ['glide-mini-base', 'base'],
    ['glide-mini-upsample', 'upsample'],
  ] as const
)
  .filter(([, stage]) => stagePrecision(fastPrecision, stage) === 'int8')
  .map(([id]): string => id)
const miniDir = fileURLToPath(new URL('../../native-models/glide-mini/', import.meta.url))
let modelsDir: string
let session: BrowserModeSession
let page: Page
let pageErrors: string[]

beforeAll(async () => {
  mkdirSync(shots, { recursive: true })
  modelsDir = await mkdtemp(join(tmpdir(), 'glide-int8-models-'))
  for (const id of ['glide-mini-base', 'glide-mini-upsample']) {
    await cp(join(miniDir, id), join(modelsDir, id), {
      recursive: true,
      filter: (source) => !source.includes('unet.int8') && !source.includes('.ort-cache'),
    })
  }
  session = await openBrowserMode({ modelsDir })
  page = session.page
  pageErrors = session.pageErrors
  await recordJobs(page)
}, 120_000)

afterAll(async () => {
  await session?.close()
})

const panel = () => page.getByRole('form', { name: 'Prompt panel' })

async function generateFast(
  prompt: string,
  whileRunning: () => Promise<void> = async () => undefined,
): Promise<JobSummary> {
  const form = panel()
  await form.getByRole('radiogroup', { name: 'Speed' }).getByRole('radio', { name: 'Fast' }).check()
  await form.getByLabel('Prompt', { exact: true }).fill(prompt)
  await form.getByLabel('Variations', { exact: true }).fill('1')
  await form.getByRole('button', { name: 'Generate', exact: true }).click()
  await whileRunning()
  const job = await finishedJob(page, prompt)
  expect(job.state).toBe('done')
  await page.getByRole('group', { name: 'Results' }).waitFor({ timeout: 30_000 })
  return job
}

describe('the first Fast job on models without 8-bit copies', () => {
  it('shows the copies being made, then the result, and writes them beside the models', async () => {
    const job = await generateFast('a green triangle, first fast job', async () => {
      await page
        .getByTestId('progress-text')
        .filter({ hasText: 'Making the 8-bit model' })
        .waitFor({ timeout: 60_000 })
      await page.screenshot({ path: join(shots, 'int8-making.png') })
    })
    expect(job.settings.unetPrecision).toBe(fastPrecision)
    expect(int8Models.length).toBeGreaterThan(0)
    // Each inpainting-capable model is calibrated on text to image and inpainting per caption.
    const runs = calibrationCaptions.length * 2
    const prepare = (await progressOf(page, job.id)).filter((entry) => entry.startsWith('prepare'))
    expect(prepare).toEqual(
      int8Models.flatMap(() =>
        Array.from({ length: runs }, (_, run) => `prepare ${run + 1}/${runs}`),
      ),
    )
    const texts = await progressTexts(page)
    expect(texts).toContain(`Making the 8-bit model (once per model): run 1 of ${runs}`)
    expect(texts.some((text) => text.startsWith('Sampling: step 1 of'))).toBe(true)
    for (const id of ['glide-mini-base', 'glide-mini-upsample']) {
      const files = await readdir(join(modelsDir, id))
      const expected = expect.arrayContaining(Object.values(int8Files))
      if (int8Models.includes(id)) expect(files).toEqual(expected)
      else expect(files).not.toEqual(expected)
    }
    await page.screenshot({ path: join(shots, 'int8-first-fast.png') })
    await page.getByRole('button', { name: 'Discard', exact: true }).click()
  })

  it('goes straight to sampling the next time, and the folded settings show 8-bit', async () => {
    const job = await generateFast('a blue circle, second fast job')
    const stages = new Set((await progressOf(page, job.id)).map((entry) => entry.split(' ')[0]))
    expect(stages).toEqual(new Set(['base', 'upsample']))
    const form = panel()
    await form.getByText('Sampler and upsampler settings').click()
    const precision = form.getByLabel('U-Net precision', { exact: true })
    await expect(precision.inputValue()).resolves.toBe(fastPrecision)
    await expect(
      precision.evaluate((select: HTMLSelectElement) => select.selectedOptions[0]?.textContent),
    ).resolves.toBe(fastPrecision === 'int8' ? '8-bit (fastest)' : '8-bit upsampler')
    // The chosen option's words fit the field.
    await expect(
      precision.evaluate((select: HTMLSelectElement) => select.scrollWidth <= select.clientWidth),
    ).resolves.toBe(true)
    await precision.scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(shots, 'int8-precision-field.png') })
    await page.getByRole('button', { name: 'Discard', exact: true }).click()
    expect(pageErrors).toEqual([])
  })
})
