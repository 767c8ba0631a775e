/**
 * End to end in browser mode: the built renderer in Chromium, the WebSocket bridge, main's
 * services and job queue, and the inference host as a child process running real ONNX Runtime
 * sessions of the small reference model.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobProgress, JobSummary } from '../../contract/jobs'
import { startBrowserMode, type BrowserMode } from '../../main/server/browserMode'
import { buildRenderer, launchChromium } from '../helpers/browser'
import { referenceModelsDir } from './referenceModel'

let mode: BrowserMode
let browser: Browser
let page: Page

declare global {
  interface Window {
    __progress: JobProgress[]
    __jobs: Map<string, JobSummary>
  }
}

beforeAll(async () => {
  mode = await startBrowserMode({
    staticDir: await buildRenderer(),
    modelsDir: await referenceModelsDir(),
    configDir: mkdtempSync(join(tmpdir(), 'glide-config-')),
  })
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  const consoleErrors: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text())
  })
  await page.goto(mode.server.url)
  await page.waitForFunction(() => window.glide !== undefined)
  // Record what reaches the page through the same bridge the UI uses.
  await page.evaluate(() => {
    window.__progress = []
    window.__jobs = new Map()
    window.glide!.subscribe('job.progress', (progress) => window.__progress.push(progress))
    window.glide!.subscribe('job.updated', (job) => window.__jobs.set(job.id, job))
  })
  expect(consoleErrors).toEqual([])
})

afterAll(async () => {
  await browser?.close()
  await mode?.close()
})

/** The one prompt panel, docked by the canvas. */
function panel() {
  return page.getByRole('form', { name: 'Prompt panel' })
}

function gallery() {
  return page.getByRole('region', { name: 'Gallery' })
}

async function jobs(): Promise<JobSummary[]> {
  return page.evaluate(() => [...window.__jobs.values()])
}

async function waitForJobs(
  count: number,
  state: JobSummary['state'] | 'finished',
): Promise<JobSummary[]> {
  await page.waitForFunction(
    ([expected, wanted]) =>
      [...window.__jobs.values()].filter((job) =>
        wanted === 'finished'
          ? ['done', 'failed', 'cancelled'].includes(job.state)
          : job.state === wanted,
      ).length >= expected,
    [count, state] as const,
    { timeout: 90_000 },
  )
  return jobs()
}

async function setSteps(steps: string): Promise<void> {
  await panel().getByLabel('Steps', { exact: true }).fill(steps)
}

describe('browser mode, end to end', () => {
  it('generates: one progress event per step reaches the page with an RGBA preview, the result appears in the gallery', async () => {
    await panel().getByLabel('Prompt', { exact: true }).fill('a red cube on a table')
    await panel().getByRole('checkbox', { name: 'New seed each run' }).uncheck()
    await panel().getByLabel('Seed', { exact: true }).fill('1234')
    await panel().getByLabel('Variations', { exact: true }).fill('1')
    await panel().getByLabel('Guidance', { exact: true }).fill('3')
    // The reference model at its own size (GLIDE-mini, bundled, would be the best installed).
    await panel()
      .getByLabel('Model', { exact: true })
      .selectOption({ label: 'base model imported from checkpoint.pt' })
    await panel()
      .getByLabel('Upsampler', { exact: true })
      .selectOption({ label: 'None (base size)' })
    // GLIDE-mini's note (it draws coloured shapes only) is for GLIDE-mini alone.
    await expect(
      panel()
        .getByText(/^GLIDE-mini, built in/)
        .count(),
    ).resolves.toBe(0)
    await expect(
      panel().getByLabel('Prompt', { exact: true }).getAttribute('placeholder'),
    ).resolves.toBe('a watercolour of a lighthouse at dusk')
    await setSteps('12')
    await panel().getByRole('button', { name: 'Generate', exact: true }).click()
    const [job] = await waitForJobs(1, 'finished')
    expect(job).toMatchObject({
      state: 'done',
      settings: { prompt: 'a red cube on a table', seed: 1234 },
    })
    expect(job?.result?.provider).toBe('cpu')
    expect(job?.result?.modelIds).toEqual(['reference-base'])

    const progress = await page.evaluate(() => window.__progress)
    const steps = progress.filter((event) => event.jobId === job?.id)
    expect(steps.map((event) => event.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    expect(steps.every((event) => event.totalSteps === 12 && event.stage === 'base')).toBe(true)
    expect(steps.at(-1)?.etaMs).toBe(0)
    // Previews arrive as raw RGBA bytes, not PNG data URLs.
    const lastPreview = await page.evaluate((id) => {
      const preview = window.__progress.filter((event) => event.jobId === id).at(-1)?.preview
      return preview
        ? {
            width: preview.width,
            height: preview.height,
            bytes: preview.rgba instanceof Uint8Array ? preview.rgba.length : -1,
          }
        : null
    }, job!.id)
    expect(lastPreview).toEqual({ width: 64, height: 64, bytes: 64 * 64 * 4 })

    const result = gallery().getByRole('img', { name: 'Result: a red cube on a table (1234)' })
    const size = await result.evaluate((canvas: HTMLCanvasElement) => [canvas.width, canvas.height])
    expect(size).toEqual([64, 64])
    const download = page.waitForEvent('download')
    await gallery()
      .getByRole('button', { name: 'Save as PNG: a red cube on a table (1234)' })
      .click()
    expect((await download).suggestedFilename()).toBe('a-red-cube-on-a-table-1234-1.png')
    await expect(page.getByTestId('provider').textContent()).resolves.toBe('CPU')
  })

  it('cancels a running job within one step', async () => {
    await setSteps('300')
    await panel().getByRole('button', { name: 'Generate', exact: true }).click()
    await page.waitForFunction(
      () => {
        const running = [...window.__jobs.values()].find((job) => job.state === 'running')
        return (
          running && window.__progress.filter((event) => event.jobId === running.id).length >= 3
        )
      },
      undefined,
      { timeout: 60_000 },
    )
    const cancel = panel().getByRole('button', { name: 'Cancel', exact: true })
    // Count the steps the page has seen when the cancel's reply arrives: main forwards events in
    // order on the same socket, so every step main had relayed before handling the cancel is in.
    await page.evaluate(() => {
      const original = window.glide!.jobs.cancel
      Object.defineProperty(window.glide!.jobs, 'cancel', {
        configurable: true,
        value: async (input: { jobId: string }) => {
          const result = await original(input)
          document.body.dataset.stepAtCancel = String(window.__progress.at(-1)?.step ?? 0)
          return result
        },
      })
    })
    await cancel.click()
    await page.waitForFunction(() => document.body.dataset.stepAtCancel !== undefined)
    const stepAtCancel = Number(await page.evaluate(() => document.body.dataset.stepAtCancel))
    expect(stepAtCancel).toBeGreaterThanOrEqual(3)
    const all = await waitForJobs(1, 'cancelled')
    const cancelled = all.find((job) => job.state === 'cancelled')!
    const last = await page.evaluate(
      (id) =>
        Math.max(
          ...window.__progress.filter((event) => event.jobId === id).map((event) => event.step),
        ),
      cancelled.id,
    )
    // The host finishes the step it is on and starts no other; at most one more step's event can
    // be on its way from the host to main when main handles the cancel. (The host client test
    // checks the exact bound, cancelling from inside a step callback.)
    expect(last).toBeLessThanOrEqual(stepAtCancel + 2)
    expect(last).toBeLessThan(300)
    await expect(
      panel()
        .getByRole('status')
        .filter({ hasText: /^Cancelled / })
        .isVisible(),
    ).resolves.toBe(true)
  })

  it('runs a second queued job after the first, keeping the IPC round trip fast meanwhile', async () => {
    const doneBefore = (await jobs()).filter((job) => job.state === 'done').length
    await setSteps('40')
    await panel().getByLabel('Prompt', { exact: true }).fill('first')
    await panel().getByRole('button', { name: 'Generate', exact: true }).click()
    await panel().getByLabel('Prompt', { exact: true }).fill('second')
    await setSteps('5')
    await panel().getByRole('button', { name: 'Generate', exact: true }).click()

    // Round trips through main's event loop while the host is generating.
    const latencies = await page.evaluate(async () => {
      const samples: number[] = []
      while (
        !document.querySelector('[data-testid="progress-text"]')?.textContent?.includes('step')
      ) {
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      for (let index = 0; index < 100; index++) {
        const sentAt = performance.now()
        await window.glide!.app.ping({ sentAt })
        samples.push(performance.now() - sentAt)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      return samples.sort((a, b) => a - b)
    })
    const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1]!
    expect(p99).toBeLessThan(250)

    await page.waitForFunction(
      (expected) =>
        [...window.__jobs.values()].filter((job) => job.state === 'done').length >= expected,
      doneBefore + 2,
      { timeout: 90_000 },
    )
    const done = (await jobs()).filter((job) => job.state === 'done')
    const first = done.find((job) => job.settings.prompt === 'first')!
    const second = done.find((job) => job.settings.prompt === 'second')!
    expect(second.queuedAt).toBeLessThan(first.finishedAt!)
    expect(second.startedAt!).toBeGreaterThanOrEqual(first.finishedAt!)
    expect(second.settings.baseRespacing).toBe('5')
    expect(first.settings.baseRespacing).toBe('40')
    // The Gallery lists a result once its file is written, a moment after the job ends.
    await expect
      .poll(() => gallery().getByRole('img', { name: 'Result: second (1234)' }).count())
      .toBe(1)
  })

  it('fails the running job with HOST_CRASHED when the host dies, and the next job succeeds', async () => {
    await setSteps('300')
    await panel().getByLabel('Prompt', { exact: true }).fill('doomed')
    await panel().getByRole('button', { name: 'Generate', exact: true }).click()
    await page.waitForFunction(
      () => {
        const running = [...window.__jobs.values()].find((job) => job.state === 'running')
        return (
          running &&
          window.__progress.some((event) => event.jobId === running.id && event.step >= 2)
        )
      },
      undefined,
      { timeout: 60_000 },
    )
    mode.host.killHost()
    await page.waitForFunction(
      () => [...window.__jobs.values()].some((job) => job.state === 'failed'),
      undefined,
      {
        timeout: 30_000,
      },
    )
    const failed = (await jobs()).find((job) => job.state === 'failed')!
    expect(failed.error).toMatchObject({ code: 'HOST_CRASHED' })
    await expect(
      page
        .getByText(/inference host stopped unexpectedly/)
        .first()
        .isVisible(),
    ).resolves.toBe(true)

    await setSteps('4')
    await panel().getByLabel('Prompt', { exact: true }).fill('after the crash')
    await panel().getByRole('button', { name: 'Generate', exact: true }).click()
    await page.waitForFunction(
      () =>
        [...window.__jobs.values()].some(
          (job) => job.settings.prompt === 'after the crash' && job.state === 'done',
        ),
      undefined,
      { timeout: 60_000 },
    )
    // The Gallery lists a result once its file is written, a moment after the job ends.
    await expect
      .poll(() => gallery().getByRole('img', { name: 'Result: after the crash (1234)' }).count())
      .toBe(1)
  })
})
