/** `npm run bench`: every benchmark, one after another (they share the machine, so never in parallel). */
import { spawnSync } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'

import { runClipGradientBenchmark } from './clipGradient'
import { runUNetStepBenchmarks } from './unetStep'

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}`,
)
await runUNetStepBenchmarks()
await runClipGradientBenchmark()

/** The browser benchmarks are scripts of their own (each starts Chromium and a server). */
for (const script of [
  'ipcLatency.ts',
  'editorBrush.ts',
  'openLargePicture.ts',
  'documentDecoder.ts',
]) {
  console.log(`\n${script}`)
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url))],
    { stdio: 'inherit' },
  )
  if (result.status !== 0) console.error(`${script} exited with ${result.status}`)
}
