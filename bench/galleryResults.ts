/**
 * The Gallery's store (main/results/resultHistory.ts) with a full folder: 300 results of 256² kept
 * one by one as the app keeps finished jobs, then a new session's first list (every file read,
 * checked and thumbnailed). Prints the time per kept result, the first list's time, how long
 * main's event loop was held at most meanwhile, and the thumbnails' size (what a page receives).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { JobSummary } from '../contract/jobs'
import { maxListedResults } from '../contract/results'
import { ResultHistory } from '../main/results/resultHistory'
import { finishedJob, samplingSettings } from '../test/helpers/finishedJobs'

export async function runGalleryResults(): Promise<void> {
  console.log(`\ngallery results (${maxListedResults} results of 256², a fresh folder)`)
  const root = mkdtempSync(join(tmpdir(), 'glide-bench-results-'))
  const directory = join(root, 'results')
  try {
    const history = new ResultHistory({ directory })
    const side = 256
    const started = performance.now()
    for (let n = 0; n < maxListedResults; n++) {
      // Pseudo-random pixels: PNG cannot shrink them, as it cannot shrink a detailed picture.
      const rgba = new Uint8Array(side * side * 4)
      for (let i = 0; i < rgba.length; i++) rgba[i] = Math.imul(i + n * 7919, 2654435761) >>> 24
      await history.add(resultJob(n, rgba, side))
    }
    const perResult = (performance.now() - started) / maxListedResults
    const loop = monitorEventLoopDelay({ resolution: 10 })
    loop.enable()
    const listStarted = performance.now()
    const listed = await new ResultHistory({ directory }).list()
    const listMs = performance.now() - listStarted
    loop.disable()
    const thumbnailBytes = listed.results.reduce(
      (sum, entry) => sum + entry.thumbnail.rgba.length,
      0,
    )
    console.log(`  keep one result: ${perResult.toFixed(1)} ms (PNG encode + atomic write)`)
    console.log(
      `  first list of ${listed.results.length}: ${listMs.toFixed(0)} ms, main's event loop held ` +
        `at most ${(loop.max / 1e6).toFixed(0)} ms; thumbnails ${(thumbnailBytes / 2 ** 20).toFixed(1)} MiB`,
    )
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

function resultJob(n: number, rgba: Uint8Array<ArrayBuffer>, side: number): JobSummary {
  return finishedJob({
    id: `bench-${n}`,
    settings: samplingSettings({ prompt: 'a red boat at dusk', seed: n }),
    images: [{ width: side, height: side, rgba }],
    finishedAt: Date.UTC(2026, 11, 7) + n * 1000,
  })
}
