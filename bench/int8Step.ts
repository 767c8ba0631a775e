/**
 * One official-size U-Net step in float32 and in 8 bits (`npm run bench -- --int8`): the base at
 * batch 2 (a guided step) and the upsampler at batch 1, each model loaded as the inference host
 * loads it (ModelCache on CPU, the app's threads), the 8-bit copy made first when the bench folder
 * lacks it (timed apart). Same random inputs for both precisions: a warm-up, then timed steps, and
 * the relative RMS difference of the two eps outputs (random weights: a check that both ran the
 * same network, not an accuracy figure; GLIDE-mini's eval measures that).
 *
 * Usage: tsx bench/int8Step.ts [--runs N (default 3)]
 */
import { fileURLToPath } from 'node:url'

import type { ModelPrecision } from '../contract/generation'
import type { GlideUNet, UNetInputs } from '../main/engine/glideModel'
import { encodeCaptions } from '../main/engine/pipelines'
import { SeededNoise } from '../main/engine/random/noise'
import { ModelCache, modelRefOf } from '../main/inference/host/modelCache'
import { ensureOfficialModel } from './officialModels'

async function stepInputs(unet: GlideUNet, batch: number): Promise<UNetInputs> {
  const size = unet.options.image_size
  const noise = new SeededNoise(5)
  const captions = ['an oil painting of a corgi', ''].slice(0, batch)
  return {
    x: noise.normal(batch * 3 * size * size),
    timesteps: new Array<number>(batch).fill(500),
    text: await encodeCaptions(unet, captions),
    ...(unet.kind === 'upsample'
      ? { lowRes: noise.normal(batch * 3 * (size / 4) ** 2).map((value) => value / 3) }
      : {}),
  }
}

interface StepTiming {
  precision: ModelPrecision
  seconds: number[]
  eps: Float32Array
}

async function timeSteps(
  kind: 'base' | 'upsample',
  precision: ModelPrecision,
  runs: number,
): Promise<StepTiming & { prepareSeconds: number }> {
  const folder = (await ensureOfficialModel(kind, console.error)).folder
  const cache = new ModelCache()
  let prepareSeconds = 0
  const started = performance.now()
  const loaded = await cache.get(modelRefOf(folder), 'cpu', precision, {
    onProgress(run, runs) {
      if (run === runs) prepareSeconds = (performance.now() - started) / 1000
    },
  })
  if (loaded.precision !== precision) throw new Error(`${kind} loaded in ${loaded.precision}`)
  const inputs = await stepInputs(loaded.unet, kind === 'base' ? 2 : 1)
  const eps = await loaded.unet.denoise(inputs)
  const seconds: number[] = []
  for (let run = 0; run < runs; run++) {
    const start = performance.now()
    await loaded.unet.denoise(inputs)
    seconds.push((performance.now() - start) / 1000)
  }
  await cache.releaseAll()
  return { precision, seconds, eps, prepareSeconds }
}

function relativeDifference(a: Float32Array, b: Float32Array): number {
  let error = 0
  let magnitude = 0
  for (let index = 0; index < a.length; index++) {
    error += ((b[index] ?? 0) - (a[index] ?? 0)) ** 2
    magnitude += (a[index] ?? 0) ** 2
  }
  return Math.sqrt(error / magnitude)
}

export async function runInt8Steps(runs = 3): Promise<void> {
  console.log('\none official-size U-Net step, float32 against 8 bits (ModelCache, CPU):')
  for (const kind of ['base', 'upsample'] as const) {
    const float = await timeSteps(kind, 'float32', runs)
    const int8 = await timeSteps(kind, 'int8', runs)
    const best = (timing: StepTiming) => Math.min(...timing.seconds)
    const list = (timing: StepTiming) => timing.seconds.map((value) => value.toFixed(2)).join(', ')
    console.log(
      `  ${kind.padEnd(8)} batch ${kind === 'base' ? 2 : 1}: float32 ${list(float)} s; int8 ${list(int8)} s; ` +
        `${(best(float) / best(int8)).toFixed(2)}× (best against best); ` +
        `eps relative RMS difference ${relativeDifference(float.eps, int8.eps).toExponential(2)}` +
        (int8.prepareSeconds > 0
          ? `; 8-bit copy made first in ${int8.prepareSeconds.toFixed(0)} s`
          : ''),
    )
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runsFlag = process.argv.indexOf('--runs')
  await runInt8Steps(runsFlag >= 0 ? Number(process.argv[runsFlag + 1]) : 3)
}
