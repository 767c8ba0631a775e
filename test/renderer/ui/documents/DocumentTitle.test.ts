import { describe, expect, it } from 'vitest'
import type { JobProgress } from '../../../../contract/jobs'
import { windowTitle } from '../../../../renderer/src/ui/documents/DocumentTitle'

const progress = (stage: JobProgress['stage'], step: number, totalSteps: number): JobProgress => ({
  jobId: 'job-1',
  stage,
  step,
  totalSteps,
  elapsedMs: 0,
  etaMs: null,
  preview: null,
})

describe('the window title', () => {
  it('names the document, marks unsaved changes and leads with a running job', () => {
    expect(windowTitle('harbour', false, null)).toBe('harbour — Glide Studio')
    expect(windowTitle('harbour', true, null)).toBe('● harbour — Glide Studio')
    expect(windowTitle('harbour', true, progress('base', 42, 100))).toBe(
      'Sampling 42% · ● harbour — Glide Studio',
    )
    expect(windowTitle('harbour', false, progress('upsample', 9, 27))).toBe(
      'Upsampling 33% · harbour — Glide Studio',
    )
    expect(windowTitle('harbour', false, progress('prepare', 1, 4))).toMatch(/^Preparing 25% · /)
  })
})
