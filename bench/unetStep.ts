/**
 * U-Net step benchmark: official-size GLIDE models with random weights, written by the real ONNX
 * writer and run by the real host code on the CPU. Each model runs in its own child process so its
 * peak RSS is its own: one process writes the folder and makes the first load, a second one
 * loads it again and runs the steps, as the app does at each start (it keeps no optimised copy). Usage: `tsx bench/unetStep.ts` (all cases).
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { officialOptions, type UNetKind } from '../main/engine/glideOptions'
import { expectedTensors, glideArchitecture } from '../main/engine/onnx/glideArchitecture'
import { writeGlideOnnx } from '../main/engine/onnx/glideGraphs'
import { SeededTensorSource } from '../main/engine/seededTensorSource'
import { appIntraOpThreads } from '../main/inference/host/executionProviders'
import { loadGlideUNet } from '../main/inference/host/onnxGlideUNet'

/** What the first process measures: writing the model folder and the first (optimising) load. */
export interface PrepareResult {
  parametersMillions: number
  writeSeconds: number
  firstLoadSeconds: number
  peakRssMiB: number
}

/** What a later process measures: the load and the steps, as the app runs them. */
export interface StepResult {
  secondLoadSeconds: number
  secondLoadFromCache: boolean
  textEncodeSeconds: number
  stepSeconds: number[]
  meanStepSeconds: number
  /** CPU time (all threads) per step: wall time on a shared machine says more about the others. */
  cpuSecondsPerStep: number
  peakRssMiB: number
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000
}

function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024
}

function randomArray(count: number, seed: number): Float32Array {
  const data = new Float32Array(count)
  let state = seed >>> 0 || 1
  for (let index = 0; index < count; index++) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    data[index] = (state >>> 0) / 2147483648 - 1
  }
  return data
}

function modelInfo(kind: UNetKind) {
  return { id: `bench-${kind}`, kind, options: officialOptions(kind), files: {} }
}

/** Loads as the app's host does: CPU, the app's thread policy, the host's session options. */
function loadAsTheApp(kind: UNetKind, modelDir: string) {
  return loadGlideUNet(modelDir, {
    model: modelInfo(kind),
    executionProviders: ['cpu'],
    intraOpNumThreads: appIntraOpThreads(),
  })
}

export async function prepareModel(kind: UNetKind, modelDir: string): Promise<PrepareResult> {
  const options = officialOptions(kind)
  const tensors = expectedTensors(glideArchitecture(kind, options))
  const parameters = tensors.reduce(
    (sum, tensor) => sum + tensor.shape.reduce((a, b) => a * b, 1),
    0,
  )
  let start = performance.now()
  await writeGlideOnnx(kind, options, new SeededTensorSource(tensors), modelDir)
  const writeSeconds = seconds(start)
  start = performance.now()
  const unet = await loadAsTheApp(kind, modelDir)
  const firstLoadSeconds = seconds(start)
  await unet.dispose()
  return {
    parametersMillions: parameters / 1e6,
    writeSeconds,
    firstLoadSeconds,
    peakRssMiB: peakRssMiB(),
  }
}

export async function measureSteps(
  kind: UNetKind,
  modelDir: string,
  batch: number,
  timedRuns: number,
): Promise<StepResult> {
  const options = officialOptions(kind)
  let start = performance.now()
  const unet = await loadAsTheApp(kind, modelDir)
  const secondLoadSeconds = seconds(start)

  const ctx = options.text_ctx
  const tokens = Array.from({ length: batch }, (_, row) =>
    Array.from({ length: ctx }, (_, i) => (i * 31 + row) % 50000),
  )
  const mask = Array.from({ length: batch }, (_, row) =>
    Array.from({ length: ctx }, (_, i) => i < 10 + row),
  )
  start = performance.now()
  const text = await unet.encodeText(tokens, mask)
  const textEncodeSeconds = seconds(start)

  const size = options.image_size
  const inputs = {
    x: randomArray(batch * 3 * size * size, 7),
    timesteps: Array.from({ length: batch }, () => 500),
    text,
    inpaintImage: randomArray(batch * 3 * size * size, 11),
    inpaintMask: new Float32Array(batch * size * size).fill(1),
    lowRes: randomArray(batch * 3 * (size / 4) * (size / 4), 13),
  }
  await unet.denoise(inputs)
  const stepSeconds: number[] = []
  const cpuBefore = process.cpuUsage()
  for (let run = 0; run < timedRuns; run++) {
    start = performance.now()
    await unet.denoise(inputs)
    stepSeconds.push(seconds(start))
  }
  const cpu = process.cpuUsage(cpuBefore)
  await unet.dispose()
  return {
    secondLoadSeconds,
    secondLoadFromCache: unet.loadedFromCache.unet && unet.loadedFromCache.textEncoder,
    textEncodeSeconds,
    stepSeconds,
    meanStepSeconds: stepSeconds.reduce((a, b) => a + b, 0) / stepSeconds.length,
    cpuSecondsPerStep: (cpu.user + cpu.system) / 1e6 / timedRuns,
    peakRssMiB: peakRssMiB(),
  }
}

const cases: { kind: UNetKind; batch: number; target: number }[] = [
  { kind: 'base', batch: 2, target: 2 },
  { kind: 'upsample', batch: 1, target: 5 },
]

function format(value: number): string {
  return value.toFixed(2)
}

function runChild<T>(args: string[]): T | null {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), ...args],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 20,
    },
  )
  const line = child.stdout.split('\n').find((text) => text.startsWith('{'))
  if (child.status !== 0 || !line) {
    console.error(`unet step ${args.join(' ')}: child exited with ${child.status}`)
    return null
  }
  return JSON.parse(line) as T
}

/** Runs every case (each phase in its own child process) and prints one line per case. */
export async function runUNetStepBenchmarks(timedRuns = 3): Promise<void> {
  for (const { kind, batch, target } of cases) {
    const modelDir = await mkdtemp(join(tmpdir(), `glide-bench-${kind}-`))
    try {
      const prepared = runChild<PrepareResult>(['prepare', kind, modelDir])
      const steps =
        prepared &&
        runChild<StepResult>(['steps', kind, modelDir, String(batch), String(timedRuns)])
      if (!prepared || !steps) continue
      console.log(
        `unet step ${kind} (batch ${batch}, ${format(prepared.parametersMillions)} M params, random weights, ${appIntraOpThreads()} threads): ` +
          `step ${format(steps.meanStepSeconds)} s (runs ${steps.stepSeconds.map(format).join(', ')}; target ≤ ${target} s; ${format(steps.cpuSecondsPerStep)} CPU-s per step); ` +
          `load ${format(prepared.firstLoadSeconds)} s first, ${format(steps.secondLoadSeconds)} s second ` +
          `(${steps.secondLoadFromCache ? 'from an optimised-graph cache' : 'from the folder, as the app loads'}; target ≤ 10 s); ` +
          `text encoder ${format(steps.textEncodeSeconds)} s; ONNX write ${format(prepared.writeSeconds)} s; ` +
          `peak RSS ${Math.round(prepared.peakRssMiB)} MiB writing + first load, ${Math.round(steps.peakRssMiB)} MiB load + steps`,
      )
    } finally {
      await rm(modelDir, { recursive: true, force: true })
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [phase, kind, modelDir, batch, runs] = process.argv.slice(2)
  const unetKinds: readonly string[] = ['base', 'upsample', 'base-inpaint', 'upsample-inpaint']
  if (kind && modelDir && unetKinds.includes(kind) && phase === 'prepare') {
    console.log(JSON.stringify(await prepareModel(kind as UNetKind, modelDir)))
  } else if (kind && modelDir && unetKinds.includes(kind) && phase === 'steps') {
    console.log(
      JSON.stringify(
        await measureSteps(kind as UNetKind, modelDir, Number(batch ?? 1), Number(runs ?? 3)),
      ),
    )
  } else {
    await runUNetStepBenchmarks()
  }
}
