/**
 * IPC round trip from the page while a generation runs (target: p99 < 50 ms).
 * `npx tsx bench/ipcLatency.ts [--pings N] [--steps R]`
 *
 * Browser mode with the small reference model: Chromium's page calls `glide.app.ping` through the
 * WebSocket bridge to main's router and back, first idle, then while the inference host samples.
 */
import { mkdtempSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startBrowserMode } from '../main/server/browserMode'
import { referenceModelsDir } from '../test/e2e/referenceModel'
import { buildRenderer, launchChromium } from '../test/helpers/browser'

const { values } = parseArgs({
  options: {
    pings: { type: 'string', default: '500' },
    steps: { type: 'string', default: '1000' },
  },
})
const pings = Number(values.pings)

function summarise(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * q) - 1)] ?? NaN
  return `n=${sorted.length} p50=${at(0.5).toFixed(2)} ms p95=${at(0.95).toFixed(2)} ms p99=${at(0.99).toFixed(2)} ms max=${at(1).toFixed(2)} ms`
}

const mode = await startBrowserMode({
  staticDir: await buildRenderer(),
  modelsDir: await referenceModelsDir(),
  configDir: mkdtempSync(join(tmpdir(), 'glide-bench-config-')),
})
const browser = await launchChromium()
try {
  const page = await browser.newPage()
  await page.goto(mode.server.url)
  await page.waitForFunction(() => window.glide !== undefined)
  const measure = (count: number) =>
    page.evaluate(async (n) => {
      const samples: number[] = []
      for (let index = 0; index < n; index++) {
        const sentAt = performance.now()
        await window.glide!.app.ping({ sentAt })
        samples.push(performance.now() - sentAt)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      return samples
    }, count)

  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, load ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  )
  console.log(`idle:               ${summarise(await measure(pings))}`)

  const panel = page.getByRole('form', { name: 'Prompt panel' })
  await panel.getByLabel('Prompt', { exact: true }).fill('latency under load')
  await panel.getByLabel('Steps', { exact: true }).fill(values.steps)
  await panel.getByRole('button', { name: 'Generate', exact: true }).click()
  await page.waitForFunction(() =>
    document.querySelector('[data-testid="progress-text"]')?.textContent?.includes('step'),
  )
  const loaded = await measure(pings)
  const progress = await page.getByTestId('progress-text').textContent()
  console.log(`during generation:  ${summarise(loaded)}  (${progress})`)
  await panel.getByRole('button', { name: 'Cancel', exact: true }).click()
} finally {
  await browser.close()
  await mode.close()
}
