/** `npm run bench`: every benchmark, one after another (they share the machine, so never in parallel). */
import { cpus, loadavg } from 'node:os'

import { runUNetStepBenchmarks } from './unetStep'

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}`,
)
await runUNetStepBenchmarks()
