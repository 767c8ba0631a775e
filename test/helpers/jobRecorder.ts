import type { Page } from 'playwright-core'

import type { JobProgress, JobSummary } from '../../contract/jobs'

declare global {
  interface Window {
    __recordedJobs: Map<string, JobSummary>
    __recordedProgress: JobProgress[]
    /** Every text the queue's progress line showed, in order, without repeats. */
    __recordedProgressTexts: string[]
  }
}

/**
 * Records, in the page, every job update and progress event (window.glide's subscriptions) and
 * every text the queue's progress line shows, for tests to read back.
 */
export async function recordJobs(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.__recordedJobs = new Map()
    window.__recordedProgress = []
    window.__recordedProgressTexts = []
    window.glide!.subscribe('job.updated', (job) => window.__recordedJobs.set(job.id, job))
    window.glide!.subscribe('job.progress', (progress) => window.__recordedProgress.push(progress))
    new MutationObserver(() => {
      for (const line of document.querySelectorAll('[data-testid="progress-text"]')) {
        const text = line.textContent ?? ''
        if (window.__recordedProgressTexts.at(-1) !== text)
          window.__recordedProgressTexts.push(text)
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true })
  })
}

/** The job with this prompt once it has finished (done, failed or cancelled). */
export async function finishedJob(page: Page, prompt: string): Promise<JobSummary> {
  await page.waitForFunction(
    (wanted) =>
      [...window.__recordedJobs.values()].some(
        (job) =>
          job.settings.prompt === wanted && job.state !== 'queued' && job.state !== 'running',
      ),
    prompt,
    { timeout: 240_000 },
  )
  const jobs = await page.evaluate(() => [...window.__recordedJobs.values()])
  const job = jobs.find((entry) => entry.settings.prompt === prompt)
  if (!job) throw new Error(`no job for ${prompt}`)
  return job
}

/** The job's progress events as "stage step/total". */
export function progressOf(page: Page, jobId: string): Promise<string[]> {
  return page.evaluate(
    (id) =>
      window.__recordedProgress
        .filter((entry) => entry.jobId === id)
        .map(({ stage, step, totalSteps }) => `${stage} ${step}/${totalSteps}`),
    jobId,
  )
}

export function progressTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => window.__recordedProgressTexts)
}
