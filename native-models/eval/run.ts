/**
 * `npm run eval:mini`: GLIDE-mini's accuracy table. Generates with the app's own engine and ONNX
 * model folders (the same code paths as the CLI and the editor), then scores every image against
 * its caption with the scene-parsing detector (native-models/eval/score.py, Debian's python3).
 *
 *   npm run eval:mini -- [--preset quality|fast] [--samples 4] [--guidance 1,2,3,5]
 *                        [--clip-guidance 0,1,3,5] [--inpaint 16] [--inpaint-guidance 5]
 *                        [--models-dir native-models/glide-mini] [--out DIR] [--json result.json]
 *                        [--seed-offset 0] [--groups held-out,in-distribution,relations]
 *                        [--steps N] [--upsample-steps N] [--base-sampler NAME]
 *                        [--guidance-cutoff C] [--guidance-reuse R] [--upsample-sampler NAME]
 *                        [--upsample-start S] [--precision float32|int8-upsampler|int8]
 *
 * `--preset` applies contract/generation.ts's preset (applyPreset) to every text-to-image, CLIP
 * and inpaint run (the CLIP rows and those at guidance 1, whose base runs one row per image per
 * step, get its settings for such jobs); quality (the default) is the
 * notebooks' settings, so the default run is the one the release tables were made with. The flags after it override one field of the preset each (for
 * tuning; `--upsample-start model` removes the preset's start, so the upsampler starts where the
 * notebooks and the model folder's sampling hint have it). The U-Nets load as the inference host loads them (ModelCache): Fast's int8 runs each
 * folder's 8-bit copy, made first when it is missing. Every U-Net call is counted (rows: the batch of each denoise call, both stages) and the
 * totals per section and per image are printed after the accuracy table and written to
 * OUT/unet-evaluations.json.
 *
 * The CLIP-guided rows (`c<scale>` in the guidance column) sample the base without classifier-free
 * guidance, steered by the noised CLIP of the models dir (a clip-image and a clip-text folder) at
 * each scale, then upsample as usual; same prompts and seeds as the classifier-free rows.
 * `--clip-guidance ""` leaves them out; they are left out with a note when no CLIP is installed.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import {
  applyPreset,
  presetCaseOf,
  zPresetName,
  zSamplerName,
  stagePrecision,
  zUNetPrecision,
  type GenerationMode,
  type PresetCase,
  type PresetName,
  type SamplingSettings,
} from '../../contract/generation'
import { countingGlideUNet, type GlideUNet } from '../../main/engine/glideModel'
import type { NoisedClip } from '../../main/engine/clip/noisedClip'
import {
  clipGuidedTextToImage,
  inpaint,
  textToImage,
  type RgbaImage,
} from '../../main/engine/pipelines'
import { ModelCache, modelRefOf } from '../../main/inference/host/modelCache'
import { loadNoisedClip } from '../../main/inference/host/onnxNoisedClip'
import { listModels } from '../../main/models/modelFolder'

const here = fileURLToPath(new URL('.', import.meta.url))
const python = process.env.GLIDE_STUDIO_PYTHON ?? '/usr/bin/python3'

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '4' },
    guidance: { type: 'string', default: '1,2,3,5' },
    'clip-guidance': { type: 'string', default: '0,1,3,5' },
    preset: { type: 'string', default: 'quality' },
    steps: { type: 'string' },
    'upsample-steps': { type: 'string' },
    'base-sampler': { type: 'string' },
    'guidance-cutoff': { type: 'string' },
    'guidance-reuse': { type: 'string' },
    'upsample-sampler': { type: 'string' },
    'upsample-start': { type: 'string' },
    precision: { type: 'string' },
    inpaint: { type: 'string', default: '16' },
    'seed-offset': { type: 'string', default: '0' },
    groups: { type: 'string' },
    'inpaint-guidance': { type: 'string', default: '5' },
    'models-dir': { type: 'string', default: join(here, '..', 'glide-mini') },
    out: { type: 'string', default: join(tmpdir(), 'glide-mini-eval') },
    json: { type: 'string' },
  },
})
const samples = Number(values.samples)
const guidances = values.guidance
  .split(',')
  .filter((scale) => scale.trim() !== '')
  .map(Number)
const clipScales = values['clip-guidance']
  .split(',')
  .filter((scale) => scale.trim() !== '')
  .map(Number)
const outDir = values.out
mkdirSync(outDir, { recursive: true })
const preset: PresetName = zPresetName.parse(values.preset)
/** Added to every seed: another batch of samples of the same prompts and cases. */
const seedOffset = Number(values['seed-offset'])
/** Prompt groups to generate (all when absent); a prompt keeps its seed and file name either way. */
const groups = values.groups?.split(',').map((group) => group.trim())

/** The fields a preset decides, plus the upsampler temperature every run uses. */
type StageSettings = Pick<
  SamplingSettings,
  | 'baseRespacing'
  | 'upsampleRespacing'
  | 'upsampleTemperature'
  | 'baseSampler'
  | 'upsampleSampler'
  | 'guidanceCutoff'
  | 'guidanceReuseBelow'
  | 'upsampleStart'
  | 'unetPrecision'
>

/** The preset's settings for jobs of case `presetCase`, with the tuning flags over them. */
function stageSettings(presetCase: PresetCase): StageSettings {
  const settings: StageSettings = applyPreset(
    { baseRespacing: '', upsampleRespacing: '', upsampleTemperature: 0.997 } as StageSettings,
    preset,
    presetCase,
  )
  if (values.steps !== undefined) settings.baseRespacing = values.steps
  if (values['upsample-steps'] !== undefined) settings.upsampleRespacing = values['upsample-steps']
  if (values['base-sampler'] !== undefined) {
    settings.baseSampler = zSamplerName.parse(values['base-sampler'])
  }
  if (values['upsample-sampler'] !== undefined) {
    settings.upsampleSampler = zSamplerName.parse(values['upsample-sampler'])
  }
  if (values['guidance-cutoff'] !== undefined) {
    settings.guidanceCutoff = Number(values['guidance-cutoff'])
  }
  if (values['guidance-reuse'] !== undefined) {
    settings.guidanceReuseBelow = Number(values['guidance-reuse'])
  }
  if (values['upsample-start'] === 'model') delete settings.upsampleStart
  else if (values['upsample-start'] !== undefined) {
    settings.upsampleStart = Number(values['upsample-start'])
  }
  if (values.precision !== undefined)
    settings.unetPrecision = zUNetPrecision.parse(values.precision)
  return settings
}

/** U-Net rows (the batch of every denoise call) of one section of the run. */
interface EvaluationCount {
  section: string
  images: number
  baseRows: number
  upsampleRows: number
  seconds: number
}

const evaluationCounts: EvaluationCount[] = []
const liveRows = { base: 0, upsample: 0 }

/** Runs one section of generations and records its U-Net rows and wall time. */
async function counted(section: string, generateSection: () => Promise<number>): Promise<void> {
  liveRows.base = 0
  liveRows.upsample = 0
  const sectionStarted = performance.now()
  const images = await generateSection()
  evaluationCounts.push({
    section,
    images,
    baseRows: liveRows.base,
    upsampleRows: liveRows.upsample,
    seconds: (performance.now() - sectionStarted) / 1000,
  })
}

function evaluationTable(settings: StageSettings): string {
  const perImage = (rows: number, images: number) => (images > 0 ? rows / images : 0).toFixed(1)
  const lines = [
    `U-Net evaluations, preset ${preset}: ${JSON.stringify(settings)}`,
    ...(differs(oneRowCommon) ? [`CLIP rows and guidance 1: ${JSON.stringify(oneRowCommon)}`] : []),
    ...(differs(strongGuidanceCommon)
      ? [`guidance above the mode's default: ${JSON.stringify(strongGuidanceCommon)}`]
      : []),
    `${'section'.padEnd(14)} ${'images'.padStart(6)} ${'base rows'.padStart(10)} ${'up rows'.padStart(9)} ${'total'.padStart(9)} ${'base/img'.padStart(9)} ${'up/img'.padStart(7)} ${'total/img'.padStart(9)} ${'seconds'.padStart(8)} ${'s/img'.padStart(6)}`,
  ]
  const all: EvaluationCount = {
    section: 'all',
    images: 0,
    baseRows: 0,
    upsampleRows: 0,
    seconds: 0,
  }
  for (const count of [...evaluationCounts, all]) {
    if (count !== all) {
      all.images += count.images
      all.baseRows += count.baseRows
      all.upsampleRows += count.upsampleRows
      all.seconds += count.seconds
    }
    const total = count.baseRows + count.upsampleRows
    lines.push(
      `${count.section.padEnd(14)} ${String(count.images).padStart(6)} ${String(count.baseRows).padStart(10)} ${String(count.upsampleRows).padStart(9)} ${String(total).padStart(9)} ${perImage(count.baseRows, count.images).padStart(9)} ${perImage(count.upsampleRows, count.images).padStart(7)} ${perImage(total, count.images).padStart(9)} ${count.seconds.toFixed(0).padStart(8)} ${(count.images > 0 ? count.seconds / count.images : 0).toFixed(2).padStart(6)}`,
    )
  }
  return lines.join('\n')
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: 'inherit' })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed`)
}

async function loadModels(): Promise<{
  base: GlideUNet
  upsampler?: GlideUNet
  clip?: NoisedClip
}> {
  const { models } = await listModels(values['models-dir'])
  const dirOf = (kind: string) => models.find((model) => model.manifest.kind === kind)?.dir
  const baseDir = dirOf('base-inpaint') ?? dirOf('base')
  if (!baseDir) throw new Error(`No base model in ${values['models-dir']}`)
  const upsampleDir = dirOf('upsample-inpaint') ?? dirOf('upsample')
  const clipImageDir = dirOf('clip-image')
  const clipTextDir = dirOf('clip-text')
  // As the inference host loads them: with --preset fast (int8) the 8-bit copies, made first
  // when a folder lacks them.
  const load = async (dir: string, stage: 'base' | 'upsample') =>
    (await unetCache.get(modelRefOf(dir), 'cpu', stagePrecision(common.unetPrecision, stage))).unet
  const base = countingGlideUNet(await load(baseDir, 'base'), (rows) => (liveRows.base += rows))
  return {
    base,
    ...(upsampleDir
      ? {
          upsampler: countingGlideUNet(
            await load(upsampleDir, 'upsample'),
            (rows) => (liveRows.upsample += rows),
          ),
        }
      : {}),
    ...(clipImageDir && clipTextDir && clipScales.length > 0
      ? { clip: await loadNoisedClip(clipImageDir, clipTextDir) }
      : {}),
  }
}

async function savePng(image: RgbaImage, name: string): Promise<string> {
  await sharp(Buffer.from(image.data), {
    raw: { width: image.width, height: image.height, channels: 4 },
  })
    .png()
    .toFile(join(outDir, name))
  return name
}

async function readRgba(path: string): Promise<RgbaImage> {
  const { data, info } = await sharp(path).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
  return { width: info.width, height: info.height, data: new Uint8Array(data) }
}

interface Cases {
  prompts: { caption: string; group: string }[]
  inpaint: { caption: string; source: string; mask: string; target: object }[]
}

run(python, [join(here, 'cases.py'), outDir, '--inpaint', values.inpaint])
const cases = JSON.parse(readFileSync(join(outDir, 'cases.json'), 'utf8')) as Cases
const unknownGroup = groups?.find(
  (group) => !cases.prompts.some((prompt) => prompt.group === group),
)
if (unknownGroup !== undefined) throw new Error(`No prompt group "${unknownGroup}" in the cases`)
/** The prompts to generate, each with its index in the whole list (its seed and file name). */
const selectedPrompts = [...cases.prompts.entries()].filter(
  ([, prompt]) => !groups || groups.includes(prompt.group),
)
const unetCache = new ModelCache()
const common = stageSettings('guided')
/**
 * The settings of the other preset cases (contract's presetCaseOf): the rows whose base runs one
 * row per image per step (CLIP guidance, classifier-free guidance 1) and those guided above their
 * mode's default. A preset may set some fields differently there (Fast does); they are recorded
 * only when it does.
 */
const oneRowCommon = stageSettings('one-row')
const strongGuidanceCommon = stageSettings('strong-guidance')
const differs = (settings: StageSettings) => JSON.stringify(settings) !== JSON.stringify(common)
const caseSettingsRecord = {
  ...(differs(oneRowCommon) ? { oneRowSettings: oneRowCommon } : {}),
  ...(differs(strongGuidanceCommon) ? { strongGuidanceSettings: strongGuidanceCommon } : {}),
}
const settingsByCase: Record<PresetCase, StageSettings> = {
  guided: common,
  'strong-guidance': strongGuidanceCommon,
  'one-row': oneRowCommon,
}
const settingsAtGuidance = (guidanceScale: number, mode: GenerationMode): StageSettings =>
  settingsByCase[presetCaseOf({ guidanceScale, mode })]
const models = await loadModels()
const items: object[] = []
const started = performance.now()

for (const guidance of guidances) {
  await counted(`text2im g${guidance}`, async () => {
    let generated = 0
    for (const [index, prompt] of selectedPrompts) {
      const seed = 1000 + seedOffset + index
      const images = await textToImage(models, {
        ...settingsAtGuidance(guidance, 'text-to-image'),
        prompt: prompt.caption,
        batchSize: samples,
        guidanceScale: guidance,
        seed,
      })
      for (const [sample, image] of images.entries()) {
        const name = await savePng(image, `g${guidance}-p${index}-s${sample}.png`)
        items.push({
          image: name,
          caption: prompt.caption,
          kind: 'text2im',
          guidance,
          group: prompt.group,
        })
        generated++
      }
    }
    return generated
  })
  console.error(`guidance ${guidance}: ${((performance.now() - started) / 1000).toFixed(0)} s`)
}

const { clip } = models
if (clipScales.length > 0 && !clip) {
  console.error(`No clip-image and clip-text models in ${values['models-dir']}: no CLIP rows.`)
}
for (const scale of clipScales) {
  if (!clip) break
  await counted(`clip c${scale}`, async () => {
    let generated = 0
    for (const [index, prompt] of selectedPrompts) {
      const seed = 1000 + seedOffset + index
      const images = await clipGuidedTextToImage(
        { base: models.base, ...(models.upsampler ? { upsampler: models.upsampler } : {}), clip },
        {
          ...oneRowCommon,
          prompt: prompt.caption,
          batchSize: samples,
          guidanceScale: 1,
          clipGuidanceScale: scale,
          seed,
        },
      )
      for (const [sample, image] of images.entries()) {
        const name = await savePng(image, `clip${scale}-p${index}-s${sample}.png`)
        items.push({
          image: name,
          caption: prompt.caption,
          kind: 'text2im',
          mode: 'clip',
          guidance: scale,
          group: prompt.group,
        })
        generated++
      }
    }
    return generated
  })
  console.error(`CLIP guidance ${scale}: ${((performance.now() - started) / 1000).toFixed(0)} s`)
}

const inpaintGuidance = Number(values['inpaint-guidance'])
await counted(`inpaint g${inpaintGuidance}`, async () => {
  for (const [index, item] of cases.inpaint.entries()) {
    const source = await readRgba(join(outDir, item.source))
    const mask = await readRgba(join(outDir, item.mask))
    const keepMask = new Float32Array(source.width * source.height)
    for (let pixel = 0; pixel < keepMask.length; pixel++) {
      keepMask[pixel] = (mask.data[pixel * 4] ?? 0) / 255
    }
    const [image] = await inpaint(models, {
      ...settingsAtGuidance(inpaintGuidance, 'inpaint'),
      prompt: item.caption,
      batchSize: 1,
      guidanceScale: inpaintGuidance,
      seed: 2000 + seedOffset + index,
      image: source,
      keepMask,
    })
    if (!image) throw new Error('inpaint returned nothing')
    const resized =
      image.width === source.width ? image : await resizeTo(image, source.width, source.height)
    items.push({
      ...item,
      image: await savePng(resized, `inpaint-${index}.png`),
      kind: 'inpaint',
      guidance: inpaintGuidance,
    })
  }
  return cases.inpaint.length
})

async function resizeTo(image: RgbaImage, width: number, height: number): Promise<RgbaImage> {
  const data = await sharp(Buffer.from(image.data), {
    raw: { width: image.width, height: image.height, channels: 4 },
  })
    .resize(width, height, { kernel: 'cubic' })
    .raw()
    .toBuffer()
  return { width, height, data: new Uint8Array(data) }
}

const seconds = (performance.now() - started) / 1000
console.error(`generated ${items.length} images in ${seconds.toFixed(0)} s`)
writeFileSync(join(outDir, 'items.json'), JSON.stringify(items, null, 1))
run(python, [
  join(here, 'score.py'),
  join(outDir, 'items.json'),
  ...(values.json ? ['--json', values.json] : []),
])
const evaluations = evaluationTable(common)
console.log(`\n${evaluations}`)
writeFileSync(
  join(outDir, 'unet-evaluations.json'),
  JSON.stringify(
    {
      preset,
      settings: common,
      ...caseSettingsRecord,
      sections: evaluationCounts,
    },
    null,
    1,
  ),
)
await Promise.all([unetCache.releaseAll(), models.clip?.dispose()])
