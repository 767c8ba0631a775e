/**
 * `npm run bench -- --install`: one official-size install through the Models dialog's queue
 * (main/models/modelInstalls.ts), as the app runs it in main: the base checkpoint (official
 * architecture, random weights from PyTorch, officialModels.ts) served by a local mirror on
 * 127.0.0.1, downloaded, hashed and converted into a fresh models folder. Prints the time of each
 * stage, how long main's event loop was held at most (what a window would feel as a freeze) and
 * the peak RSS.
 */
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { finishedInstallStages, type InstallProgress } from '../contract/modelInstalls'
import { ModelInstalls } from '../main/models/modelInstalls'
import { modelBaseUrlEnv } from '../main/models/officialModels'
import { ensureOfficialModel } from './officialModels'

export async function runModelInstall(): Promise<void> {
  console.log('\nmodel install (official base, random weights, from a mirror on 127.0.0.1)')
  const { checkpoint } = await ensureOfficialModel('base')
  const bytes = statSync(checkpoint).size
  const server = createServer((request, response) => {
    if (request.url !== '/base.pt') {
      response.writeHead(404)
      response.end()
      return
    }
    response.writeHead(200, { 'content-length': bytes })
    createReadStream(checkpoint).pipe(response)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const modelsDir = mkdtempSync(join(tmpdir(), 'glide-bench-install-'))
  const stageStarts = new Map<string, number>()
  let finished: (progress: InstallProgress) => void = () => undefined
  const ended = new Promise<InstallProgress>((resolve) => (finished = resolve))
  const installs = new ModelInstalls({
    modelsDir: () => modelsDir,
    env: { [modelBaseUrlEnv]: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` },
    onProgress: (progress) => {
      if (!stageStarts.has(progress.stage)) stageStarts.set(progress.stage, performance.now())
      if (finishedInstallStages.has(progress.stage)) finished(progress)
    },
  })
  const loop = monitorEventLoopDelay({ resolution: 10 })
  let peakRss = 0
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50)
  loop.enable()
  const start = performance.now()
  try {
    await installs.install(['base'])
    const last = await ended
    loop.disable()
    if (last.stage !== 'done')
      throw new Error(`the install ended ${last.stage}: ${last.error?.message}`)
    const total = (performance.now() - start) / 1000
    const stages = [...stageStarts.entries()]
    for (const [index, [stage, at]] of stages.entries()) {
      const next = stages[index + 1]?.[1]
      if (next !== undefined)
        console.log(`  ${stage.padEnd(12)} ${((next - at) / 1000).toFixed(1)} s`)
    }
    const ms = (nanoseconds: number) => (nanoseconds / 1e6).toFixed(0)
    console.log(`  total        ${total.toFixed(1)} s for ${(bytes / 1e9).toFixed(2)} GB`)
    console.log(
      `  main's event loop held: max ${ms(loop.max)} ms, p99 ${ms(loop.percentile(99))} ms, mean ${ms(loop.mean)} ms (10 ms resolution)`,
    )
    console.log(`  peak RSS     ${(peakRss / 2 ** 20).toFixed(0)} MiB`)
  } finally {
    clearInterval(rssTimer)
    installs.dispose()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    rmSync(modelsDir, { recursive: true, force: true })
  }
}
