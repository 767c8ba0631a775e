/**
 * Official-size convergence (issue 18, item 5): how far the 64 px base sample of Quality and of
 * Fast lies from a 1000-step DDIM sample with the same seed, prompt and guidance (random weights,
 * so there is no judge; the distance is the measure). Usage:
 *
 *   tsx bench/officialConvergence.ts [--reference-only] [--recompute-reference]
 *       [--reference-threads N] [--reference-steps N (default 1000)] [--seed N] [--prompt TEXT]
 *       [--presets quality,fast]
 *
 * The reference (≈1000 base steps at batch 2) is computed once and saved under the bench cache
 * (officialModels.ts) as raw float32 with a JSON note; later runs reuse it. It saves its progress
 * every 25 steps, so a killed run resumes where it stopped (DDIM with eta 0 draws no noise, so a
 * resumed chain is the same chain). By default the reference runs at one ORT thread (run it under
 * `nice`), so it can go on in the background while the machine does other work.
 *
 * Quality and Fast run through textToImage without an upsampler (so the images are the base
 * samples, 8-bit) with the settings applyPreset(…, 'quality' | 'fast') gives; the reference is
 * compared both as floats and quantised to 8 bit like them. Distances are in [-1, 1] units.
 */
import { renameSync, writeFileSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'

import {
  applyPreset,
  generationDefaults,
  presetNames,
  type PresetName,
  type SamplingSettings,
} from '../contract/generation'
import { createSampler } from '../main/engine/diffusion/samplers'
import { runSamplingLoop } from '../main/engine/diffusion/samplingLoop'
import { countingGlideUNet, type GlideUNet } from '../main/engine/glideModel'
import {
  diffusionFor,
  encodeCaptions,
  guidedStageModel,
  inpaintInputs,
  textToImage,
} from '../main/engine/pipelines'
import { quantizeTo8Bit, rgbaToTensor } from '../main/engine/images/rgbaImage'
import { SeededNoise } from '../main/engine/random/noise'
import { appIntraOpThreads } from '../main/inference/host/executionProviders'
import { distanceStats } from './convergenceStats'
import { benchCacheDir, ensureOfficialModel, loadAsTheApp } from './officialModels'

interface ReferenceNote {
  prompt: string
  seed: number
  guidanceScale: number
  sampler: 'ddim'
  respacing: string
  threads: number
  /** Steps done; all of them when complete. */
  stepsDone: number
  /** The original timestep the saved partial sample is at (its next step), −1 when complete. */
  nextTimestep: number
  seconds: number
  finishedAt?: string
}

function flagValue(args: string[], name: string): string | undefined {
  const index = args.indexOf(name)
  return index >= 0 ? args[index + 1] : undefined
}

function floatsOf(bytes: Buffer): Float32Array {
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice()
}

function referencePaths(seed: number, steps: number) {
  const stem = join(benchCacheDir(), `convergence-ddim${steps}-seed${seed}`)
  return { data: `${stem}.f32`, note: `${stem}.json` }
}

function saveAtomicallySync(path: string, data: Uint8Array | string): void {
  writeFileSync(`${path}.partial`, data)
  renameSync(`${path}.partial`, path)
}

async function readNote(path: string): Promise<ReferenceNote | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ReferenceNote
  } catch {
    return null
  }
}

/** Both rows of the guided chain ([cond, uncond] × 3 × 64 × 64); the cond row is the sample. */
async function computeReference(
  base: GlideUNet,
  prompt: string,
  seed: number,
  steps: number,
  threads: number,
): Promise<Float32Array> {
  const paths = referencePaths(seed, steps)
  const referenceRespacing = String(steps)
  const size = base.options.image_size
  const plane = 3 * size * size
  const guidanceScale = generationDefaults.sampling.guidanceScale
  const text = await encodeCaptions(base, [prompt, ''])
  const full = diffusionFor(base, referenceRespacing)
  const totalSteps = full.numTimesteps

  let note = await readNote(paths.note)
  let xT: Float32Array
  let maxTimestep: number | undefined
  if (note && note.prompt === prompt && note.stepsDone > 0 && note.nextTimestep >= 0) {
    xT = floatsOf(await readFile(paths.data))
    maxTimestep = note.nextTimestep
    console.log(`resuming the reference at step ${note.stepsDone + 1} (t = ${maxTimestep})`)
  } else {
    // The pipeline's first draw: x_T for both rows, from the generation's seed.
    xT = new SeededNoise(seed).normal(2 * plane)
    note = {
      prompt,
      seed,
      guidanceScale,
      sampler: 'ddim',
      respacing: referenceRespacing,
      threads,
      stepsDone: 0,
      nextTimestep: totalSteps - 1,
      seconds: 0,
    }
  }
  const diffusion = diffusionFor(base, referenceRespacing, maxTimestep)
  const start = performance.now()
  const secondsBefore = note.seconds
  const stepsBefore = note.stepsDone
  const progress = note
  const sample = await runSamplingLoop({
    diffusion,
    sampler: createSampler('ddim'),
    shape: { batch: 2, channels: 3, height: size, width: size },
    xT,
    noise: new SeededNoise(seed),
    model: guidedStageModel(base, text, guidanceScale, inpaintInputs(undefined, size, 2)),
    onStep: (step) => {
      progress.stepsDone = stepsBefore + step.step
      progress.seconds = secondsBefore + (performance.now() - start) / 1000
      if (progress.stepsDone % 25 === 0 || step.t === 0) {
        progress.nextTimestep = step.t === 0 ? -1 : diffusion.modelTimestep(step.t) - 1
        const perStep = (progress.seconds - secondsBefore) / step.step
        console.log(
          `reference step ${progress.stepsDone}/${totalSteps}: ${perStep.toFixed(2)} s/step, ` +
            `about ${(((totalSteps - progress.stepsDone) * perStep) / 60).toFixed(0)} min left`,
        )
        // Synchronous, so the note always describes the sample saved with it: model runs block
        // the event loop, and an asynchronous write could land steps later.
        saveAtomicallySync(paths.data, new Uint8Array(step.sample.slice().buffer))
        saveAtomicallySync(paths.note, JSON.stringify(progress, null, 2))
      }
    },
  })
  progress.stepsDone = totalSteps
  progress.nextTimestep = -1
  progress.finishedAt = new Date().toISOString()
  saveAtomicallySync(paths.data, new Uint8Array(sample.slice().buffer))
  saveAtomicallySync(paths.note, JSON.stringify(progress, null, 2))
  return sample.slice(0, plane)
}

async function loadReference(
  seed: number,
  steps: number,
  prompt: string,
): Promise<Float32Array | null> {
  const paths = referencePaths(seed, steps)
  const note = await readNote(paths.note)
  if (!note || note.nextTimestep !== -1 || note.prompt !== prompt) return null
  const both = floatsOf(await readFile(paths.data))
  return both.slice(0, both.length / 2)
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const seed = Number(flagValue(args, '--seed') ?? 1)
  const prompt = flagValue(args, '--prompt') ?? 'an oil painting of a corgi'
  const referenceThreads = Number(flagValue(args, '--reference-threads') ?? 1)
  const referenceSteps = Number(flagValue(args, '--reference-steps') ?? 1000)
  const paths = referencePaths(seed, referenceSteps)
  if (args.includes('--recompute-reference')) {
    await rm(paths.data, { force: true })
    await rm(paths.note, { force: true })
  }
  const { folder } = await ensureOfficialModel('base')

  let reference = await loadReference(seed, referenceSteps, prompt)
  if (reference) {
    console.log(`reusing the saved reference ${paths.data}`)
  } else {
    const base = await loadAsTheApp(folder, referenceThreads)
    console.log(
      `computing the reference: DDIM ${referenceSteps} steps, guidance ${generationDefaults.sampling.guidanceScale}, ` +
        `seed ${seed}, "${prompt}", ${referenceThreads} ORT thread(s)`,
    )
    reference = await computeReference(base, prompt, seed, referenceSteps, referenceThreads)
    await base.dispose()
  }
  const note = await readNote(paths.note)
  console.log(
    `reference: ${note?.seconds.toFixed(0) ?? '?'} s at ${note?.threads ?? '?'} thread(s), finished ${note?.finishedAt ?? '?'}`,
  )
  if (args.includes('--reference-only')) return

  const threads = appIntraOpThreads()
  const base = await loadAsTheApp(folder, threads)
  const quantisedReference = quantizeTo8Bit(reference)
  console.log(
    `\nbase 64 px sample vs the DDIM ${referenceSteps}-step reference (seed ${seed}, [-1, 1] units, ${threads} threads):`,
  )
  const presets = (flagValue(args, '--presets')?.split(',') ?? presetNames) as readonly PresetName[]
  for (const name of presets) {
    const settings: SamplingSettings = applyPreset(
      { ...generationDefaults.sampling, prompt, seed, upsampleModelId: null },
      name,
      'guided',
    )
    let modelRows = 0
    // The loop never disposes the models it is given; base is disposed once, after every preset.
    const counting = countingGlideUNet(base, (rows) => {
      modelRows += rows
    })
    const start = performance.now()
    const [image] = await textToImage({ base: counting }, settings)
    const seconds = (performance.now() - start) / 1000
    if (!image) throw new Error('textToImage returned no image')
    const sample = rgbaToTensor(image)
    const vsFloat = distanceStats(sample, reference)
    const vsQuantised = distanceStats(sample, quantisedReference)
    console.log(
      `  ${name.padEnd(7)} base ${settings.baseSampler ?? 'ancestral'} "${settings.baseRespacing}"` +
        `${settings.guidanceCutoff ? `, guidance cutoff ${settings.guidanceCutoff}` : ''}` +
        `${settings.guidanceReuseBelow ? `, reuse below ${settings.guidanceReuseBelow}` : ''}: ` +
        `mean |Δ| ${vsFloat.meanAbs.toFixed(4)}, RMS ${vsFloat.rms.toFixed(4)} ` +
        `(vs the 8-bit reference: ${vsQuantised.meanAbs.toFixed(4)} / ${vsQuantised.rms.toFixed(4)}); ` +
        `${modelRows} U-Net rows, ${seconds.toFixed(0)} s`,
    )
  }
  await base.dispose()
}
await main()
