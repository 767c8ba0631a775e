/**
 * CLIP guidance cost: the official noised CLIP (image encoder 86 M parameters, text encoder 72 M,
 * random weights) written by the real ONNX writer, loaded by the host's loader with the app's
 * session options and thread policy, on the CPU. One child process writes both folders and makes
 * the first (optimising) load; a second loads from the optimised-graph cache and times
 * image_grad.onnx (one per sampling step) at batch 1 and at the base's batch (2), and the text
 * encoder (once per generation). Usage: `tsx bench/clipGradient.ts`.
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import {
  clipArchitecture,
  clipExpectedTensors,
  releasedClipOptions,
  type ClipEncoderKind,
} from '../main/engine/clip/clipOptions'
import { appIntraOpThreads } from '../main/inference/host/executionProviders'
import { loadNoisedClip } from '../main/inference/host/onnxNoisedClip'
import { writeOfficialClipFolder } from './officialModels'

interface PrepareResult {
  imageParametersMillions: number
  textParametersMillions: number
  writeSeconds: number
  firstLoadSeconds: number
  peakRssMiB: number
}

interface BatchResult {
  batch: number
  stepSeconds: number[]
  meanStepSeconds: number
  cpuSecondsPerStep: number
}

interface StepResult {
  secondLoadSeconds: number
  textEncodeSeconds: number
  batches: BatchResult[]
  peakRssMiB: number
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000
}

function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024
}

function parametersMillions(kind: ClipEncoderKind): number {
  return (
    clipExpectedTensors(clipArchitecture(kind, releasedClipOptions)).reduce(
      (sum, tensor) => sum + tensor.shape.reduce((a, b) => a * b, 1),
      0,
    ) / 1e6
  )
}

/** Session options exactly as the app's host makes them (CPU here). */
function loadAsTheApp(root: string) {
  return loadNoisedClip(join(root, 'bench-clip-image'), join(root, 'bench-clip-text'), {
    executionProviders: ['cpu'],
    intraOpNumThreads: appIntraOpThreads(),
  })
}

async function prepare(root: string): Promise<PrepareResult> {
  let start = performance.now()
  await writeOfficialClipFolder('clip-image', join(root, 'bench-clip-image'))
  await writeOfficialClipFolder('clip-text', join(root, 'bench-clip-text'))
  const writeSeconds = seconds(start)
  start = performance.now()
  const clip = await loadAsTheApp(root)
  const firstLoadSeconds = seconds(start)
  await clip.dispose()
  return {
    imageParametersMillions: parametersMillions('clip-image'),
    textParametersMillions: parametersMillions('clip-text'),
    writeSeconds,
    firstLoadSeconds,
    peakRssMiB: peakRssMiB(),
  }
}

function wave(count: number, phase: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => Math.sin(i * 0.37 + phase) * 0.9)
}

async function measure(root: string, timedRuns: number): Promise<StepResult> {
  let start = performance.now()
  const clip = await loadAsTheApp(root)
  const secondLoadSeconds = seconds(start)
  const { padded, length } = clip.tokenizer.tokenize('an oil painting of a corgi')
  start = performance.now()
  await clip.encodeText([padded, padded], [length, length])
  const textEncodeSeconds = seconds(start)
  const size = releasedClipOptions.image_size
  const batches: BatchResult[] = []
  for (const batch of [1, 2]) {
    const x = wave(batch * 3 * size * size, batch)
    const textEmb = wave(batch * releasedClipOptions.n_embd, 3)
    const timesteps = new Array<number>(batch).fill(500)
    await clip.imageGradient(x, timesteps, textEmb)
    const stepSeconds: number[] = []
    const cpuBefore = process.cpuUsage()
    for (let run = 0; run < timedRuns; run++) {
      start = performance.now()
      await clip.imageGradient(x, timesteps, textEmb)
      stepSeconds.push(seconds(start))
    }
    const cpu = process.cpuUsage(cpuBefore)
    batches.push({
      batch,
      stepSeconds,
      meanStepSeconds: stepSeconds.reduce((a, b) => a + b, 0) / stepSeconds.length,
      cpuSecondsPerStep: (cpu.user + cpu.system) / 1e6 / timedRuns,
    })
  }
  await clip.dispose()
  return { secondLoadSeconds, textEncodeSeconds, batches, peakRssMiB: peakRssMiB() }
}

function runChild<T>(args: string[]): T | null {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
  )
  const line = child.stdout.split('\n').find((text) => text.startsWith('{'))
  if (child.status !== 0 || !line) {
    console.error(`clip gradient ${args.join(' ')}: child exited with ${child.status}`)
    return null
  }
  return JSON.parse(line) as T
}

const format = (value: number): string => value.toFixed(2)

export async function runClipGradientBenchmark(timedRuns = 3): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'glide-bench-clip-'))
  try {
    const prepared = runChild<PrepareResult>(['prepare', root])
    const steps = prepared && runChild<StepResult>(['steps', root, String(timedRuns)])
    if (!prepared || !steps) return
    const perBatch = steps.batches
      .map(
        (result) =>
          `batch ${result.batch}: ${format(result.meanStepSeconds)} s per step (runs ${result.stepSeconds.map(format).join(', ')}; ${format(result.cpuSecondsPerStep)} CPU-s)`,
      )
      .join('; ')
    console.log(
      `clip gradient (image_grad.onnx, ${format(prepared.imageParametersMillions)} M params; text encoder ${format(prepared.textParametersMillions)} M; random weights): ` +
        `${perBatch}; text encoder once per generation ${format(steps.textEncodeSeconds)} s (batch 2); ` +
        `load ${format(prepared.firstLoadSeconds)} s first, ${format(steps.secondLoadSeconds)} s cached; ONNX write ${format(prepared.writeSeconds)} s; ` +
        `peak RSS ${Math.round(prepared.peakRssMiB)} MiB writing + first load, ${Math.round(steps.peakRssMiB)} MiB cached load + gradients`,
    )
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [phase, root, runs] = process.argv.slice(2)
  if (phase === 'prepare' && root) console.log(JSON.stringify(await prepare(root)))
  else if (phase === 'steps' && root)
    console.log(JSON.stringify(await measure(root, Number(runs ?? 3))))
  else await runClipGradientBenchmark()
}
