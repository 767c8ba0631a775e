/**
 * `npm run bench`: every benchmark, one after another (they share the machine, so never in parallel).
 *
 * Flags (see bench/README.md):
 *   --vs-torch      instead: app vs PyTorch on one official base and upsampler step (same weights),
 *                   then Quality vs Fast whole-image time and peak RSS (vsTorch.ts, wholeImage.ts)
 *   --ort-options   instead: ONNX Runtime session options on the official base step (ortOptions.ts)
 *   --op-profile    instead: where an official base and upsampler step spend their time, per
 *                   operator type, and the convolutions' GFLOP/s (opProfile.ts)
 *   --int8          instead: one official base and upsampler step in float32 and in 8 bits
 *                   (int8Step.ts; makes the 8-bit copies first, a few minutes, when missing)
 *   --install       instead: one official-size install through the Models dialog's queue, from a
 *                   mirror on 127.0.0.1: stage times, main's event-loop delay, peak RSS
 *                   (modelInstall.ts)
 *   --clean-cache   remove the cached official-size bench models (officialModels.ts) and stop
 */
import { spawnSync } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'

import { runClipGradientBenchmark } from './clipGradient'
import { runGalleryResults } from './galleryResults'
import { runInt8Steps } from './int8Step'
import { runModelInstall } from './modelInstall'
import { benchCacheDir, cleanBenchCache } from './officialModels'
import { runOpProfile } from './opProfile'
import { runOrtOptions } from './ortOptions'
import { runUNetStepBenchmarks } from './unetStep'
import { runVsTorch } from './vsTorch'
import { runWholeImage } from './wholeImage'

const flags = new Set(process.argv.slice(2))
const known = [
  '--vs-torch',
  '--ort-options',
  '--op-profile',
  '--int8',
  '--install',
  '--clean-cache',
]
for (const flag of flags) {
  if (!known.includes(flag)) {
    console.error(`unknown flag ${flag}; known: ${known.join(' ')}`)
    process.exit(2)
  }
}

function machineLine(): string {
  return `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}`
}

if (flags.has('--clean-cache')) {
  await cleanBenchCache()
  process.exit(0)
}

console.log(machineLine())
const official = ['--vs-torch', '--ort-options', '--op-profile', '--int8', '--install']
if (official.some((flag) => flags.has(flag))) {
  console.log(
    `official-size bench models cached in ${benchCacheDir()} (--clean-cache removes them)`,
  )
  if (flags.has('--vs-torch')) {
    await runVsTorch()
    await runWholeImage()
  }
  if (flags.has('--ort-options')) await runOrtOptions()
  if (flags.has('--op-profile')) await runOpProfile()
  if (flags.has('--int8')) await runInt8Steps()
  if (flags.has('--install')) await runModelInstall()
  console.log(`\nafter: ${machineLine()}`)
} else {
  await runUNetStepBenchmarks()
  await runClipGradientBenchmark()
  await runGalleryResults()

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
}
