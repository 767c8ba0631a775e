/**
 * The speed presets as a user meets them, in browser mode at 1440×900 with the bundled GLIDE-mini
 * (an empty models dir): the panel starts at Quality, Fast shows what it sets in words, a Fast job
 * runs the preset's step counts (seen in the queue's progress) and its result lands on the canvas,
 * the folded sampler settings make the choice Custom, Quality gives back the notebooks' settings
 * exactly, and under CLIP guidance and at guidance 1 (one base row per image per step) Fast takes
 * its one-row base steps and gives them back after.
 * Expected words and numbers come from contract/generation's presets, so the test holds when Fast
 * is retuned.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  generationDefaults,
  generationPresets,
  respacingStepCount,
} from '../../contract/generation'
import type { JobSummary } from '../../contract/jobs'
import { describePreset } from '../../renderer/src/ui/prompt/speedDescription'
import {
  canvasPixels,
  openBrowserMode,
  openPage,
  type BrowserModeSession,
} from '../helpers/browser'
import { finishedJob, progressOf, progressTexts, recordJobs } from '../helpers/jobRecorder'

const shots = '/tmp/shots/ui'
const fast = generationPresets.fast.settings
let session: BrowserModeSession
let page: Page
let pageErrors: string[]

beforeAll(async () => {
  mkdirSync(shots, { recursive: true })
  session = await openBrowserMode()
  page = session.page
  pageErrors = session.pageErrors
  await recordJobs(page)
}, 120_000)

afterAll(async () => {
  await session?.close()
})

const panel = () => page.getByRole('form', { name: 'Prompt panel' })
const speed = () => panel().getByRole('radiogroup', { name: 'Speed' })
const speedWords = async () =>
  (await speed().evaluate(
    (group) => document.getElementById(group.getAttribute('aria-describedby')!)!.textContent,
  )) ?? ''
const checkedSpeed = () =>
  speed().evaluate(
    (group) =>
      group.querySelector<HTMLInputElement>('input:checked')?.parentElement?.textContent ?? null,
  )

/** Prompt, one variation; Generate; waits for the staged result and returns the finished job. */
async function generate(prompt: string): Promise<JobSummary> {
  const form = panel()
  await form.getByLabel('Prompt', { exact: true }).fill(prompt)
  await form.getByLabel('Variations', { exact: true }).fill('1')
  await form.getByRole('button', { name: 'Generate', exact: true }).click()
  const job = await finishedJob(page, prompt)
  expect(job.state).toBe('done')
  await page.getByRole('group', { name: 'Results' }).waitFor({ timeout: 30_000 })
  return job
}

describe('speed presets in the prompt panel (GLIDE-mini)', () => {
  it('starts at Quality and shows in words what each preset sets', async () => {
    await speed().waitFor()
    await expect(checkedSpeed()).resolves.toBe('Quality')
    await expect(speedWords()).resolves.toBe(describePreset('quality', 'text-to-image'))
    const form = panel()
    await expect(form.getByLabel('Steps', { exact: true }).inputValue()).resolves.toBe(
      generationDefaults.sampling.baseRespacing,
    )
    await page.screenshot({ path: join(shots, 'quality.png') })

    await speed().getByRole('radio', { name: 'Fast' }).check()
    await expect(checkedSpeed()).resolves.toBe('Fast')
    await expect(speedWords()).resolves.toBe(describePreset('fast', 'text-to-image'))
    await expect(form.getByLabel('Steps', { exact: true }).inputValue()).resolves.toBe(
      fast.baseRespacing,
    )
    // The words fit the panel: no part of them is clipped.
    const fits = await speed().evaluate((group) => {
      const note = document.getElementById(group.getAttribute('aria-describedby')!)!
      const right = group.closest('form')!.getBoundingClientRect().right
      const segments = [...group.querySelectorAll('label')]
      return (
        note.scrollWidth <= note.clientWidth &&
        note.getBoundingClientRect().right <= right &&
        segments.every(
          (segment) =>
            segment.scrollWidth <= segment.clientWidth &&
            segment.getBoundingClientRect().right <= right,
        )
      )
    })
    expect(fits).toBe(true)
    await page.screenshot({ path: join(shots, 'fast.png') })
  })

  it("runs a Fast job at the preset's step counts and puts its result on the canvas", async () => {
    const before = await canvasPixels(page)
    const job = await generate('a red circle on a blue sky')
    const expected = Object.fromEntries(Object.entries(fast).filter(([, value]) => value !== null))
    expect(job.settings).toMatchObject(expected)
    const progress = await progressOf(page, job.id)
    const totals = (stage: string) =>
      new Set(
        progress
          .filter((entry) => entry.startsWith(`${stage} `))
          .map((entry) => Number(entry.split('/')[1])),
      )
    expect(totals('base')).toEqual(new Set([respacingStepCount(fast.baseRespacing)]))
    expect(totals('upsample')).toEqual(new Set([respacingStepCount(fast.upsampleRespacing)]))
    const texts = await progressTexts(page)
    // React may render two quick progress events as one, so any step of Fast's count will do.
    const baseTotal = respacingStepCount(fast.baseRespacing)
    expect(
      texts.some((text) => new RegExp(`^Sampling: step \\d+ of ${baseTotal}$`).test(text)),
    ).toBe(true)
    await page.screenshot({ path: join(shots, 'fast-staged.png') })

    await page.getByRole('button', { name: 'Accept', exact: true }).click()
    await expect
      .poll(() => page.getByTestId('layers.item').first().getAttribute('aria-label'))
      .toBe(`a red circle on a blue sky (${job.settings.seed})`)
    // The layer keeps the job's settings: recalled into the panel at Quality, they are Fast again.
    await speed().getByRole('radio', { name: 'Quality' }).check()
    await page.getByRole('button', { name: 'Use these settings', exact: true }).click()
    await expect.poll(checkedSpeed).toBe('Fast')
    const after = await canvasPixels(page)
    let changed = 0
    for (let i = 0; i < after.length; i += 3) {
      if (Math.abs(after[i]! - before[i]!) + Math.abs(after[i + 1]! - before[i + 1]!) > 24)
        changed++
    }
    // The frame (a quarter of a blank document's area, minus margins) now holds the result.
    expect(changed / (after.length / 3)).toBeGreaterThan(0.05)
    await page.screenshot({ path: join(shots, 'fast-accepted.png') })
  })

  it('turns Custom when a sampler setting is edited, and Quality restores the defaults', async () => {
    const form = panel()
    await form.getByText('Sampler and upsampler settings').click()
    const cutoff = form.getByLabel('Guidance cutoff', { exact: true })
    await expect(cutoff.inputValue()).resolves.toBe(String(fast.guidanceCutoff ?? ''))
    await cutoff.fill('0.45')
    await expect(checkedSpeed()).resolves.toBe('Custom')
    await expect(speedWords()).resolves.toContain('guidance above t = 0.45 T')
    await form.getByLabel('Temperature', { exact: true }).scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(shots, 'custom-advanced.png') })

    await form.getByLabel('Upsampler start', { exact: true }).fill('3')
    await form.getByLabel('Prompt', { exact: true }).fill('a refused start')
    await form.getByRole('button', { name: 'Generate', exact: true }).click()
    await expect
      .poll(() => form.getByRole('alert').textContent())
      .toBe('Upsampler start must be between 0.05 and 1')

    await speed().getByRole('radio', { name: 'Quality' }).check()
    await expect(checkedSpeed()).resolves.toBe('Quality')
    await expect(form.getByLabel('Base sampler', { exact: true }).inputValue()).resolves.toBe('')
    await expect(cutoff.inputValue()).resolves.toBe('')
    await expect(form.getByLabel('Upsampler steps', { exact: true }).inputValue()).resolves.toBe(
      generationDefaults.sampling.upsampleRespacing,
    )
    const job = await generate('a quality job')
    const { prompt, seed, ...rest } = job.settings
    expect(prompt).toBe('a quality job')
    expect(typeof seed).toBe('number')
    expect(rest).toEqual({
      guidanceScale: generationDefaults.guidanceByMode['text-to-image'],
      baseRespacing: generationDefaults.sampling.baseRespacing,
      upsampleRespacing: generationDefaults.sampling.upsampleRespacing,
      upsampleTemperature: generationDefaults.sampling.upsampleTemperature,
      batchSize: 1,
    })
    await page.getByRole('button', { name: 'Discard', exact: true }).click()
  })

  it('runs Fast with CLIP guidance (the bundled CLIP) at its CLIP base steps', async () => {
    const form = panel()
    const steps = form.getByLabel('Steps', { exact: true })
    const clipSteps =
      generationPresets.fast.caseSettings?.['one-row']?.baseRespacing ?? fast.baseRespacing
    await form.getByLabel('Guided by', { exact: true }).selectOption('clip')
    await speed().getByRole('radio', { name: 'Fast' }).check()
    const clipWords = describePreset('fast', 'text-to-image', { guidanceMode: 'clip' })
    await expect(speedWords()).resolves.toBe(clipWords)
    await expect(steps.inputValue()).resolves.toBe(clipSteps)
    // At CLIP guidance 0 nothing steers the sample (CLIP is not run): the words say so.
    const clipScale = form.getByLabel('CLIP guidance', { exact: true })
    await clipScale.fill('0')
    await expect
      .poll(speedWords)
      .toBe(describePreset('fast', 'text-to-image', { guidanceMode: 'clip', clipGuidanceScale: 0 }))
    await expect(speedWords()).resolves.toContain('CLIP guidance 0 (the caption rows alone')
    await expect(steps.inputValue()).resolves.toBe(clipSteps)
    await expect(checkedSpeed()).resolves.toBe('Fast')
    await page.screenshot({ path: join(shots, 'fast-clip-0.png') })
    await clipScale.fill('3')
    await expect.poll(speedWords).toBe(clipWords)
    await page.screenshot({ path: join(shots, 'fast-clip.png') })
    const job = await generate('a yellow star, CLIP guided')
    expect(job.settings).toMatchObject({
      guidanceMode: 'clip',
      baseSampler: fast.baseSampler ?? undefined,
      baseRespacing: clipSteps,
    })
    const stages = (await progressOf(page, job.id)).map((entry) => entry.replace(/ \d+\//, ' '))
    expect(new Set(stages)).toEqual(
      new Set([
        `base ${respacingStepCount(clipSteps)}`,
        `upsample ${respacingStepCount(fast.upsampleRespacing)}`,
      ]),
    )
    await page.screenshot({ path: join(shots, 'fast-clip-staged.png') })
    await page.getByRole('button', { name: 'Accept', exact: true }).click()
    const details = page.getByLabel('Layer details', { exact: true })
    await expect.poll(() => details.textContent()).toContain('GuidanceCLIP 3Steps')
    await page.screenshot({ path: join(shots, 'fast-clip-accepted.png') })

    // Recalled from the layer at Quality and classifier-free: CLIP and Fast's CLIP steps come back.
    const guidedBy = form.getByLabel('Guided by', { exact: true })
    await guidedBy.selectOption('classifier-free')
    await speed().getByRole('radio', { name: 'Quality' }).check()
    await page.getByRole('button', { name: 'Use these settings', exact: true }).click()
    await expect.poll(() => guidedBy.inputValue()).toBe('clip')
    await expect.poll(checkedSpeed).toBe('Fast')
    await expect(steps.inputValue()).resolves.toBe(clipSteps)
    await page.screenshot({ path: join(shots, 'fast-clip-recalled.png') })
    // Back to classifier-free guidance, Fast stays chosen with its own steps.
    await guidedBy.selectOption('classifier-free')
    await expect(checkedSpeed()).resolves.toBe('Fast')
    await expect(steps.inputValue()).resolves.toBe(fast.baseRespacing)
    await expect(speedWords()).resolves.toBe(describePreset('fast', 'text-to-image'))
    expect(pageErrors).toEqual([])
  })

  it('starts a new page (a reload) at the speed used last', async () => {
    const next = await openPage(session.browser, session.mode.server.url)
    try {
      const group = next
        .getByRole('form', { name: 'Prompt panel' })
        .getByRole('radiogroup', { name: 'Speed' })
      const checked = () =>
        group.evaluate(
          (element) =>
            element.querySelector<HTMLInputElement>('input:checked')?.parentElement?.textContent,
        )
      // The last run was Fast with CLIP guidance; the page starts classifier-free, at Fast's steps.
      await expect.poll(checked).toBe('Fast')
      await expect(
        next
          .getByRole('form', { name: 'Prompt panel' })
          .getByLabel('Steps', { exact: true })
          .inputValue(),
      ).resolves.toBe(fast.baseRespacing)
      await next.screenshot({ path: join(shots, 'reload-fast.png') })
    } finally {
      await next.close()
    }
  })

  /**
   * Fast at a typed guidance: the panel shows the preset's steps for that guidance and says them,
   * the job runs them, and "Use the default" gives Fast's own steps back.
   */
  async function runFastAtGuidance(guidance: number, caseSteps: string, prompt: string) {
    const form = panel()
    const steps = form.getByLabel('Steps', { exact: true })
    await speed().getByRole('radio', { name: 'Fast' }).check()
    await form.getByLabel('Guidance', { exact: true }).fill(String(guidance))
    await expect.poll(() => steps.inputValue()).toBe(caseSteps)
    await expect(checkedSpeed()).resolves.toBe('Fast')
    const words = await speedWords()
    expect(words).toBe(describePreset('fast', 'text-to-image', { guidanceScale: guidance }))
    expect(words).toContain(`${respacingStepCount(caseSteps)} base steps`)
    await page.screenshot({ path: join(shots, `fast-guidance-${guidance}.png`) })
    const job = await generate(prompt)
    expect(job.settings).toMatchObject({ guidanceScale: guidance, baseRespacing: caseSteps })
    const stages = (await progressOf(page, job.id)).map((entry) => entry.replace(/ \d+\//, ' '))
    expect(new Set(stages)).toEqual(
      new Set([
        `base ${respacingStepCount(caseSteps)}`,
        `upsample ${respacingStepCount(fast.upsampleRespacing)}`,
      ]),
    )
    await page.getByRole('button', { name: 'Discard', exact: true }).click()
    await form.getByRole('button', { name: /^Use the default for/ }).click()
    await expect.poll(() => steps.inputValue()).toBe(fast.baseRespacing)
    await expect(checkedSpeed()).resolves.toBe('Fast')
    await expect(speedWords()).resolves.toBe(describePreset('fast', 'text-to-image'))
    expect(pageErrors).toEqual([])
    return words
  }

  it('runs Fast at guidance 1 at its one-row base steps, and gives its own back at the default', async () => {
    const oneRowSteps = generationPresets.fast.caseSettings?.['one-row']?.baseRespacing
    expect(oneRowSteps).toBeDefined()
    const words = await runFastAtGuidance(1, oneRowSteps ?? '', 'a green square, guidance 1')
    expect(words).toContain('guidance 1 (the caption rows alone, no unconditional rows)')
  })

  it('runs Fast at guidance 5 at its strong-guidance base steps, and gives its own back at the default', async () => {
    const strongSteps = generationPresets.fast.caseSettings?.['strong-guidance']?.baseRespacing
    expect(strongSteps).toBeDefined()
    const words = await runFastAtGuidance(
      5,
      strongSteps ?? '',
      'a blue circle above a small red square, guidance 5',
    )
    expect(words).toContain(`guidance above t = ${fast.guidanceCutoff} T`)
  })
})
