/**
 * How far the upsampler's settings move GLIDE-mini's 128 px images, for tuning the Fast preset:
 *
 *   npx tsx native-models/eval/upsampleDistance.ts [--rows 4] [--seeds 1]
 *     [--candidates ddim:6:0.5,ddim:4:0.5] [--base dpm++2m:20:0.3] [--guidance 3]
 *
 * Text to image through the app's pipeline (textToImage) with one deterministic base setting
 * (sampler:steps:cutoff), so every upsampler setting sees the same low-res images; each candidate
 * (sampler:steps:start) is compared with the notebooks' upsampler (DDIM "fast27" from the model's
 * own start, t = 500 for GLIDE-mini) on the same seed: RMS distance in 8-bit levels over pixels and
 * channels, mean over images. For scale it also prints the distance of the low-res image, enlarged
 * bicubically, from that reference (everything the upsampler adds).
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { zSamplerName, type SamplerName } from '../../contract/generation'
import { countingGlideUNet } from '../../main/engine/glideModel'
import { textToImage, type RgbaImage } from '../../main/engine/pipelines'
import { loadGlideUNet } from '../../main/inference/host/onnxGlideUNet'
import { listModels } from '../../main/models/modelFolder'

const here = fileURLToPath(new URL('.', import.meta.url))
const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '4' },
    seeds: { type: 'string', default: '1' },
    guidance: { type: 'string', default: '3' },
    base: { type: 'string', default: 'dpm++2m:20:0.3' },
    candidates: { type: 'string', default: 'ddim:3:0.5,ddim:4:0.5,ddim:6:0.5,ddim:10:0.5' },
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
const prompts = values.prompts.split('|')

function parseTriple(text: string): { sampler: SamplerName; steps: string; number: number } {
  const [sampler = '', steps = '', number = '0'] = text.split(':')
  return { sampler: zSamplerName.parse(sampler), steps, number: Number(number) }
}

const { models } = await listModels(values['models-dir'])
const dirOf = (kind: string) => models.find((model) => model.manifest.kind === kind)?.dir
const baseDir = dirOf('base-inpaint') ?? dirOf('base')
const upsampleDir = dirOf('upsample-inpaint') ?? dirOf('upsample')
if (!baseDir || !upsampleDir) throw new Error(`No base and upsampler in ${values['models-dir']}`)
const base = await loadGlideUNet(baseDir)
const upsampler = await loadGlideUNet(upsampleDir)
let upsampleRows = 0
const countedUpsampler = countingGlideUNet(upsampler, (rows) => {
  upsampleRows += rows
})

const baseSetting = parseTriple(values.base)
const baseParams = {
  baseSampler: baseSetting.sampler,
  baseRespacing: baseSetting.steps,
  guidanceCutoff: baseSetting.number,
  upsampleTemperature: 0.997,
  batchSize: rows,
  guidanceScale: Number(values.guidance),
}

function distance(a: RgbaImage, b: RgbaImage): number {
  let sum = 0
  let count = 0
  for (let i = 0; i < a.data.length; i++) {
    if (i % 4 === 3) continue
    const d = (a.data[i] ?? 0) - (b.data[i] ?? 0)
    sum += d * d
    count++
  }
  return Math.sqrt(sum / count)
}

async function enlarged(image: RgbaImage, size: number): Promise<RgbaImage> {
  const data = await sharp(Buffer.from(image.data), {
    raw: { width: image.width, height: image.height, channels: 4 },
  })
    .resize(size, size, { kernel: 'cubic' })
    .raw()
    .toBuffer()
  return { width: size, height: size, data: new Uint8Array(data) }
}

const candidates = values.candidates.split(',').map(parseTriple)
const totals = new Map<string, { distance: number; images: number; rowsPerImage: number }>()
const add = (name: string, value: number, rowsPerImage: number) => {
  const entry = totals.get(name) ?? { distance: 0, images: 0, rowsPerImage }
  entry.distance += value
  entry.images += 1
  totals.set(name, entry)
}
const started = performance.now()
for (const seed of seeds) {
  for (const prompt of prompts) {
    upsampleRows = 0
    const reference = await textToImage(
      { base, upsampler: countedUpsampler },
      { ...baseParams, prompt, seed, upsampleRespacing: 'fast27' },
    )
    const referenceRows = upsampleRows / rows
    const lowRes = await textToImage(
      { base },
      { ...baseParams, prompt, seed, upsampleRespacing: '1' },
    )
    for (const [row, image] of reference.entries()) {
      const low = lowRes[row]
      if (low)
        add('low-res enlarged (bicubic)', distance(await enlarged(low, image.width), image), 0)
    }
    add('reference: ddim "fast27" from the model\'s start', 0, referenceRows)
    for (const candidate of candidates) {
      upsampleRows = 0
      const images = await textToImage(
        { base, upsampler: countedUpsampler },
        {
          ...baseParams,
          prompt,
          seed,
          upsampleSampler: candidate.sampler,
          upsampleRespacing: candidate.steps,
          upsampleStart: candidate.number,
        },
      )
      for (const [row, image] of images.entries()) {
        const ref = reference[row]
        if (ref) {
          add(
            `${candidate.sampler} "${candidate.steps}" from ${candidate.number}`,
            distance(image, ref),
            upsampleRows / rows,
          )
        }
      }
    }
    console.error(
      `seed ${seed} "${prompt}": ${((performance.now() - started) / 1000).toFixed(0)} s`,
    )
  }
}
console.log(
  `GLIDE-mini upsampler (128 px), base ${values.base}, ${prompts.length} prompts × ${seeds.length} seeds × ${rows} rows; distance from the reference = RMS in 8-bit levels, mean over images`,
)
console.log(`${'upsampler'.padEnd(48)} ${'distance'.padStart(9)} ${'up rows/img'.padStart(12)}`)
for (const [name, entry] of totals) {
  console.log(
    `${name.padEnd(48)} ${(entry.distance / entry.images).toFixed(2).padStart(9)} ${String(entry.rowsPerImage).padStart(12)}`,
  )
}
console.log(`${((performance.now() - started) / 1000).toFixed(0)} s`)
await Promise.all([base.dispose(), upsampler.dispose()])
