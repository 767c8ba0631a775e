/**
 * How far a base-stage setting moves GLIDE-mini's 32 px samples, for tuning the Fast preset:
 *
 *   npx tsx native-models/eval/baseDistance.ts [--rows 4] [--seeds 1] [--guidance 3]
 *     [--cutoffs 0.1,0.2,0.3,0.5] [--cutoff-steps 20] [--reuses 0.6,0.8]
 *     [--fast "dpm++2m:20:0.3;ancestral:4,16:0.35:0.8"] [--reference-steps 1000 (0: none)] [--models-dir native-models/glide-mini]
 *
 * For each prompt and seed the base samples `rows` images from the seed's x_T (the first noise draw,
 * as the pipelines do) with classifier-free guidance, and prints the distance in 8-bit levels
 * (RMS over pixels and channels, mean over images) between:
 *   - the guidance interval: `--cutoff-sampler` (DPM-Solver++(2M)) at `--cutoff-steps` with
 *     guidance only at t ≥ c·T, against the same sampler, steps and noise with c = 0;
 *   - each `--reuses` r (guidanceReuseBelow: below r·T the unconditional rows every other step,
 *     the direction cond − uncond reused between), at cutoff 0 and each cutoff, against c = 0;
 *   - the 1000-step DDIM sample (deterministic, the probability-flow ODE's solution from x_T), and
 *     each `--fast` setting (sampler:steps:cutoff[:reuse]; ';' between settings), and Quality (ancestral "100", c = 0).
 * For scale it prints the distance between two different images of the reference (other rows of
 * the same prompt): the size of "a different picture".
 * Below the cutoff the base runs the N conditional rows alone, so the U-Net rows are counted too.
 * Every setting's roughness (mean |Laplacian| in 8-bit levels) shows the grain a sampler leaves:
 * GLIDE-mini's 20-step deterministic samples are grainy where its ancestral ones are clean.
 * `--reference-steps 0` skips the reference (no distance column for the `--fast` settings).
 */
import { parseArgs } from 'node:util'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { zSamplerName } from '../../contract/generation'
import { countingGlideUNet } from '../../main/engine/glideModel'
import { guidedBaseSamples, loadEvalBase, parseBaseSetting, type BaseSetting } from './baseSampling'

const here = fileURLToPath(new URL('.', import.meta.url))
const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '4' },
    seeds: { type: 'string', default: '1' },
    guidance: { type: 'string', default: '3' },
    cutoffs: { type: 'string', default: '0.1,0.2,0.3,0.5' },
    'cutoff-steps': { type: 'string', default: '20' },
    'cutoff-sampler': { type: 'string', default: 'dpm++2m' },
    reuses: { type: 'string', default: '' },
    fast: { type: 'string', default: 'dpm++2m:20:0.3' },
    'reference-steps': { type: 'string', default: '1000' },
    prompts: {
      type: 'string',
      default:
        'a red circle on the left|a green triangle above a yellow star|a large blue square at the bottom|a purple heart on a black background',
    },
    'models-dir': { type: 'string', default: join(here, '..', 'glide-mini') },
  },
})

const rows = Number(values.rows)
const seeds = values.seeds.split(',').map(Number)
const guidance = Number(values.guidance)
const prompts = values.prompts.split('|')

const unet = await loadEvalBase(values['models-dir'])
const size = unet.options.image_size
const plane = 3 * size * size
let unetRows = 0
const countedUNet = countingGlideUNet(unet, (count) => (unetRows += count))

/** The conditional rows of one guided base run: [rows, 3, S, S] in [-1, 1]. */
async function baseSamples(prompt: string, seed: number, setting: BaseSetting) {
  return { samples: await guidedBaseSamples(countedUNet, prompt, rows, seed, guidance, setting) }
}

/** RMS distance of two images in 8-bit levels, after rounding each to 8 bits. */
function distance(a: Float32Array, b: Float32Array, rowA: number, rowB: number): number {
  const level = (value: number) => Math.round(Math.min(Math.max((value + 1) * 127.5, 0), 255))
  let sum = 0
  for (let i = 0; i < plane; i++) {
    const d = level(a[rowA * plane + i] ?? 0) - level(b[rowB * plane + i] ?? 0)
    sum += d * d
  }
  return Math.sqrt(sum / plane)
}

function meanDistance(a: Float32Array, b: Float32Array): number {
  let total = 0
  for (let row = 0; row < rows; row++) total += distance(a, b, row, row)
  return total / rows
}

const cutoffs = values.cutoffs.split(',').map(Number)
const cutoffSteps = values['cutoff-steps']
const cutoffSampler = zSamplerName.parse(values['cutoff-sampler'])
const reuses = values.reuses
  .split(',')
  .filter((text) => text.trim() !== '')
  .map(Number)
const fastSettings = values.fast.split(';').map(parseBaseSetting)
const quality: BaseSetting = { sampler: 'ancestral', respacing: '100', cutoff: 0, reuse: 0 }
const reference: BaseSetting = {
  sampler: 'ddim',
  respacing: values['reference-steps'],
  cutoff: 0,
  reuse: 0,
}

const label = (setting: BaseSetting) =>
  `${setting.sampler} "${setting.respacing}" cutoff ${setting.cutoff}` +
  (setting.reuse > 0 ? ` reuse below ${setting.reuse}` : '')
const results = new Map<
  string,
  { distance: number; roughness: number; images: number; rows: number }
>()
/** `samples`: the images of the setting named, for their roughness. */
function record(name: string, value: number, rowsUsed: number, samples: Float32Array) {
  const entry = results.get(name) ?? { distance: 0, roughness: 0, images: 0, rows: rowsUsed }
  entry.distance += value * rows
  for (let row = 0; row < rows; row++) entry.roughness += roughness(samples, row)
  entry.images += rows
  results.set(name, entry)
}

/**
 * Mean |4·p − its four neighbours| over interior pixels and channels, in 8-bit levels: flat regions
 * give 0, so it measures the grain a sampler leaves (shape edges add a little).
 */
function roughness(samples: Float32Array, row: number): number {
  const level = (value: number) => Math.round(Math.min(Math.max((value + 1) * 127.5, 0), 255))
  const at = (c: number, y: number, x: number) =>
    level(samples[row * plane + (c * size + y) * size + x] ?? 0)
  let sum = 0
  let count = 0
  for (let c = 0; c < 3; c++) {
    for (let y = 1; y < size - 1; y++) {
      for (let x = 1; x < size - 1; x++) {
        const neighbours = at(c, y - 1, x) + at(c, y + 1, x) + at(c, y, x - 1) + at(c, y, x + 1)
        sum += Math.abs(4 * at(c, y, x) - neighbours)
        count++
      }
    }
  }
  return sum / count
}

const started = performance.now()
for (const seed of seeds) {
  for (const prompt of prompts) {
    const measure = async (setting: BaseSetting) => {
      const before = unetRows
      const result = await baseSamples(prompt, seed, setting)
      return { ...result, rowsPerImage: (unetRows - before) / rows }
    }
    const noCutoff = await measure({
      sampler: cutoffSampler,
      respacing: cutoffSteps,
      cutoff: 0,
      reuse: 0,
    })
    record(
      `cutoff 0 (${cutoffSampler} "${cutoffSteps}"): vs itself`,
      0,
      noCutoff.rowsPerImage,
      noCutoff.samples,
    )
    for (const cutoff of cutoffs) {
      const withCutoff = await measure({
        sampler: cutoffSampler,
        respacing: cutoffSteps,
        cutoff,
        reuse: 0,
      })
      record(
        `cutoff ${cutoff} (${cutoffSampler} "${cutoffSteps}"): vs cutoff 0`,
        meanDistance(withCutoff.samples, noCutoff.samples),
        withCutoff.rowsPerImage,
        withCutoff.samples,
      )
    }
    for (const reuse of reuses) {
      for (const cutoff of [0, ...cutoffs]) {
        const withReuse = await measure({
          sampler: cutoffSampler,
          respacing: cutoffSteps,
          cutoff,
          reuse,
        })
        record(
          `cutoff ${cutoff} reuse below ${reuse} (${cutoffSampler} "${cutoffSteps}"): vs cutoff 0`,
          meanDistance(withReuse.samples, noCutoff.samples),
          withReuse.rowsPerImage,
          withReuse.samples,
        )
      }
    }
    const referenceRun = reference.respacing === '0' ? null : await measure(reference)
    if (referenceRun) {
      let between = 0
      for (let row = 0; row < rows; row++) {
        between += distance(referenceRun.samples, referenceRun.samples, row, (row + 1) % rows)
      }
      record(
        'different images of the reference (scale)',
        between / rows,
        referenceRun.rowsPerImage,
        referenceRun.samples,
      )
    }
    for (const setting of [quality, ...fastSettings]) {
      const run = await measure(setting)
      record(
        referenceRun ? `${label(setting)}: vs ddim "${reference.respacing}"` : label(setting),
        referenceRun ? meanDistance(run.samples, referenceRun.samples) : Number.NaN,
        run.rowsPerImage,
        run.samples,
      )
    }
    console.error(
      `seed ${seed} "${prompt}": ${((performance.now() - started) / 1000).toFixed(0)} s, ${unetRows} U-Net rows so far`,
    )
  }
}

console.log(
  `GLIDE-mini base (${size} px), guidance ${guidance}, ${prompts.length} prompts × ${seeds.length} seeds × ${rows} rows; distance = RMS in 8-bit levels, mean over images`,
)
console.log(
  `${'comparison'.padEnd(62)} ${'distance'.padStart(9)} ${'roughness'.padStart(10)} ${'U-Net rows/img'.padStart(15)}`,
)
for (const [name, entry] of results) {
  const distanceText = Number.isNaN(entry.distance)
    ? '-'
    : (entry.distance / entry.images).toFixed(2)
  console.log(
    `${name.padEnd(62)} ${distanceText.padStart(9)} ${(entry.roughness / entry.images).toFixed(2).padStart(10)} ${String(entry.rows).padStart(15)}`,
  )
}
console.log(`${((performance.now() - started) / 1000).toFixed(0)} s`)
await unet.dispose()
