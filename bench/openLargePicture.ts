/**
 * Opening a 48-megapixel photo in browser mode (issue 17, item 4; target: the server's event loop
 * never stalls more than 100 ms). `npx tsx bench/openLargePicture.ts [--width W --height H]`
 *
 * Chromium opens an 8000×6000 JPEG through the page's file picker: the bytes go to the server as
 * one binary WebSocket frame, sharp decodes them off the event loop, and the 192 MB of RGBA come
 * back as raw bytes in one frame. The server's event-loop delay is sampled every 10 ms meanwhile.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startBrowserMode } from '../main/server/browserMode'
import { buildRenderer, launchChromium } from '../test/helpers/browser'
import { noisyPhotoJpeg } from './noisyPhoto'

const { values } = parseArgs({
  options: {
    width: { type: 'string', default: '8000' },
    height: { type: 'string', default: '6000' },
    /** internal: run as the server process, serving this built renderer */
    serve: { type: 'string' },
  },
})
const width = Number(values.width)
const height = Number(values.height)
const work = mkdtempSync(join(tmpdir(), 'glide-bench-open-'))
const photo = join(work, 'photo.jpg')
if (!values.serve) await writeFile(photo, await noisyPhotoJpeg(width, height))

if (values.serve) {
  // The server's own process: Playwright's traffic with Chromium must not count against its loop.
  const mode = await startBrowserMode({
    staticDir: values.serve,
    modelsDir: join(work, 'models'),
    configDir: join(work, 'config'),
  })
  const delay = monitorEventLoopDelay({ resolution: 10 })
  // The longest garbage-collection pause while the picture opens: part of the delay, not decoding.
  let measuring = false
  let longestGcMs = 0
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (measuring) longestGcMs = Math.max(longestGcMs, entry.duration)
    }
  }).observe({ entryTypes: ['gc'] })
  process.stdout.write(`${JSON.stringify({ url: mode.server.url })}\n`)
  process.stdin.setEncoding('utf8')
  process.stdin.on('data', (command: string) => {
    if (command.startsWith('start')) {
      delay.enable()
      measuring = true
    }
    if (command.startsWith('stop')) {
      delay.disable()
      measuring = false
      const ms = (value: number) => Number((value / 1e6).toFixed(1))
      process.stdout.write(
        `${JSON.stringify({ p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max), gc: Number(longestGcMs.toFixed(1)) })}\n`,
      )
      void mode.close().then(() => process.exit(0))
    }
  })
} else {
  const server = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', await buildRenderer()],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  const lines = createInterface({ input: server.stdout })[Symbol.asyncIterator]()
  const next = async () => JSON.parse(String((await lines.next()).value)) as Record<string, number>
  const { url } = (await next()) as unknown as { url: string }
  const browser = await launchChromium()
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    await page.goto(url)
    await page.getByTestId('editor.canvas').waitFor()
    server.stdin.write('start\n')
    const started = performance.now()
    const chooser = page.waitForEvent('filechooser')
    await page.getByRole('button', { name: 'Open', exact: true }).click()
    await (await chooser).setFiles(photo)
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid="layers.item"]')?.getAttribute('aria-label') ===
        'photo',
      undefined,
      { timeout: 300_000, polling: 200 },
    )
    const seconds = (performance.now() - started) / 1000
    server.stdin.write('stop\n')
    const delay = await next()
    console.log(
      `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, load ${loadavg()[0]?.toFixed(2)}`,
    )
    console.log(
      `open ${width}×${height} (${((width * height) / 1e6).toFixed(0)} MP) JPEG in browser mode: ` +
        `${seconds.toFixed(1)} s until its layer shows; server event-loop delay ` +
        `p50 ${delay.p50} ms, p99 ${delay.p99} ms, max ${delay.max} ms (target < 100 ms); ` +
        `longest GC pause ${delay.gc} ms`,
    )
  } finally {
    await browser.close()
    server.kill()
  }
}
