/**
 * Whole-image time at the official size (random weights): text to image, batch 1, base and
 * upsampler, through the app's pipeline (textToImage) with the settings applyPreset gives for
 * each preset. Each preset runs in a child process of its own, so the peak RSS it reports is that
 * of one full official run (both models loaded as the app loads them, both stages sampled).
 *
 * Each child makes `images` images in a row with the same loaded models (seeds seed, seed + 1, …):
 * the first pays the sessions' first runs (memory arenas growing, pages touched), the later ones are
 * what a person generating again waits for, so both are reported.
 *
 * With --clip-guidance S the images are CLIP-guided instead (GLIDE's clip_guided notebook: the base
 * unguided, a released-size noised CLIP's gradient at scale S every base step), each preset with
 * its settings for one-row jobs (as with --settings '{"guidanceScale":1}').
 *
 * Usage: tsx bench/wholeImage.ts [--presets quality,fast] [--seed N] [--images N (default 2)]
 *                                 [--settings JSON (sampling settings over each preset's)]
 *                                 [--clip-guidance S]
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import {
  applyPreset,
  generationDefaults,
  presetCaseOf,
  presetNames,
  stagePrecision,
  type PresetName,
  type SamplingSettings,
} from '../contract/generation'
import { countingGlideUNet, type GlideUNet } from '../main/engine/glideModel'
import type { NoisedClip } from '../main/engine/clip/noisedClip'
import { clipGuidedTextToImage, textToImage, type PipelineHooks } from '../main/engine/pipelines'
import { appIntraOpThreads } from '../main/inference/host/executionProviders'
import { ModelCache, modelRefOf } from '../main/inference/host/modelCache'
import {
  ensureOfficialClip,
  ensureOfficialModel,
  folderDiskUse,
  officialModelPaths,
} from './officialModels'

const prompt = 'an oil painting of a corgi'

/** One image's time once the models are loaded, and the U-Net work it took. */
export interface ImageTiming {
  /** From the call to the last upsampler step: what the user waits for once the models are loaded. */
  imageSeconds: number
  baseSeconds: number
  upsampleSeconds: number
  cpuSeconds: number
  /** U-Net rows evaluated (a guided base step counts 2, an unguided one 1). */
  baseRows: number
  upsampleRows: number
  baseSteps: number
  upsampleSteps: number
}

export interface WholeImageResult {
  preset: PresetName
  /** The CLIP guidance scale when the images were CLIP-guided. */
  clipGuidanceScale?: number
  settings: SamplingSettings
  threads: number
  loadSeconds: number
  /** Making the 8-bit copies (int8, first run on a folder only); 0 when they were there. */
  prepareSeconds: number
  /** In the order made: the first right after loading, then the warm ones. */
  images: ImageTiming[]
  maxRssMiB: number
}

interface CountedModels {
  base: GlideUNet
  upsampler: GlideUNet
  /** CLIP guidance; `model` is absent at scale 0, where the app loads no CLIP either. */
  clip?: { model: NoisedClip | undefined; scale: number }
}

async function timeOneImage(
  models: CountedModels,
  settings: SamplingSettings,
  label: string,
  rowCounts: { base: number; upsample: number },
): Promise<ImageTiming> {
  const rowsBefore = { ...rowCounts }
  let baseEnd = 0
  let baseSteps = 0
  let upsampleSteps = 0
  const cpuBefore = process.cpuUsage()
  const start = performance.now()
  const hooks: PipelineHooks = {
    onStep: (event) => {
      if (event.stage === 'base') {
        baseSteps = event.step
        baseEnd = performance.now()
      } else {
        upsampleSteps = event.step
      }
      if (event.step === event.totalSteps || event.step % 10 === 0) {
        console.error(
          `  ${label}: ${event.stage} step ${event.step}/${event.totalSteps} at ${((performance.now() - start) / 1000).toFixed(0)} s`,
        )
      }
    },
  }
  const { base, upsampler, clip } = models
  if (clip) {
    await clipGuidedTextToImage(
      { base, upsampler, ...(clip.model ? { clip: clip.model } : {}) },
      { ...settings, clipGuidanceScale: clip.scale },
      hooks,
    )
  } else {
    await textToImage({ base, upsampler }, settings, hooks)
  }
  const end = performance.now()
  const cpu = process.cpuUsage(cpuBefore)
  return {
    imageSeconds: (end - start) / 1000,
    baseSeconds: (baseEnd - start) / 1000,
    upsampleSeconds: (end - baseEnd) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    baseRows: rowCounts.base - rowsBefore.base,
    upsampleRows: rowCounts.upsample - rowsBefore.upsample,
    baseSteps,
    upsampleSteps,
  }
}

async function runPreset(
  preset: PresetName,
  seed: number,
  imageCount: number,
  overrides: Partial<SamplingSettings>,
  clipGuidanceScale: number | undefined,
): Promise<WholeImageResult> {
  const basePaths = await ensureOfficialModel('base', console.error)
  const upsamplePaths = await ensureOfficialModel('upsample', console.error)
  const clipPaths =
    clipGuidanceScale === undefined || clipGuidanceScale === 0
      ? undefined
      : await ensureOfficialClip(console.error)
  const threads = appIntraOpThreads()
  const job = { ...generationDefaults.sampling, prompt, seed, ...overrides }
  // The preset's settings for the job's case (--settings '{"guidanceScale":1}' runs one row).
  const presetCase = presetCaseOf({
    ...job,
    ...(clipGuidanceScale === undefined ? {} : { guidanceMode: 'clip' as const }),
  })
  const settings: SamplingSettings = { ...applyPreset(job, preset, presetCase), ...overrides }
  // Loaded as the inference host loads them (ModelCache, CPU): with int8 the 8-bit copy is made
  // first when the folder lacks it, which is timed apart from the load.
  const models = new ModelCache()
  let prepareSeconds = 0
  const prepared = async (folder: string, stage: 'base' | 'upsample') => {
    const precision = stagePrecision(settings.unetPrecision, stage)
    const ref = modelRefOf(folder)
    let preparing: number | null = null
    const started = performance.now()
    const loaded = await models.get(ref, 'cpu', precision, {
      onProgress(run, runs) {
        preparing ??= performance.now()
        if (run === runs) prepareSeconds += (performance.now() - preparing) / 1000
      },
    })
    if (loaded.precision !== precision) throw new Error(`${ref.id} loaded in ${loaded.precision}`)
    return { unet: loaded.unet, seconds: (performance.now() - started) / 1000 }
  }
  const rowCounts = { base: 0, upsample: 0 }
  const loadedBase = await prepared(basePaths.folder, 'base')
  const loadedUpsampler = await prepared(upsamplePaths.folder, 'upsample')
  const clipStarted = performance.now()
  const clip =
    clipGuidanceScale === undefined
      ? undefined
      : {
          model: clipPaths
            ? await models.getClip(
                modelRefOf(clipPaths.imageFolder),
                modelRefOf(clipPaths.textFolder),
                'cpu',
              )
            : undefined,
          scale: clipGuidanceScale,
        }
  const loadSeconds =
    loadedBase.seconds +
    loadedUpsampler.seconds +
    (performance.now() - clipStarted) / 1000 -
    prepareSeconds
  const base = countingGlideUNet(loadedBase.unet, (rows) => {
    rowCounts.base += rows
  })
  const upsampler = countingGlideUNet(loadedUpsampler.unet, (rows) => {
    rowCounts.upsample += rows
  })
  const images: ImageTiming[] = []
  for (let index = 0; index < imageCount; index++) {
    const label = `${preset} image ${index + 1}/${imageCount}`
    images.push(
      await timeOneImage(
        { base, upsampler, ...(clip ? { clip } : {}) },
        { ...settings, seed: seed + index },
        label,
        rowCounts,
      ),
    )
  }
  await models.releaseAll()
  return {
    preset,
    ...(clipGuidanceScale === undefined ? {} : { clipGuidanceScale }),
    settings,
    threads,
    loadSeconds,
    prepareSeconds,
    images,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  }
}

/** The warm images' mean time (every image after the first), or the first's when it is alone. */
export function warmSeconds(result: WholeImageResult): number {
  const warm = result.images.length > 1 ? result.images.slice(1) : result.images
  return warm.reduce((sum, image) => sum + image.imageSeconds, 0) / Math.max(1, warm.length)
}

function runChild(
  preset: PresetName,
  seed: number,
  images: number,
  overrides: Partial<SamplingSettings>,
  clipGuidanceScale: number | undefined,
): WholeImageResult | null {
  const child = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      'child',
      preset,
      String(seed),
      String(images),
      JSON.stringify(overrides),
      ...(clipGuidanceScale === undefined ? [] : [String(clipGuidanceScale)]),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
  )
  const line = child.stdout.split('\n').find((text) => text.startsWith('{'))
  if (child.status !== 0 || !line) {
    console.error(`whole image ${preset}: child exited with ${child.status}`)
    return null
  }
  return JSON.parse(line) as WholeImageResult
}

function settingsLine(settings: SamplingSettings): string {
  return (
    `base ${settings.baseSampler ?? 'ancestral'} "${settings.baseRespacing}"` +
    (settings.guidanceCutoff ? ` guidance ≥ ${settings.guidanceCutoff}·T` : '') +
    (settings.guidanceReuseBelow ? ` reused < ${settings.guidanceReuseBelow}·T` : '') +
    `, upsampler ${settings.upsampleSampler ?? 'ddim'} "${settings.upsampleRespacing}"` +
    (settings.upsampleStart ? ` from ${settings.upsampleStart}·T` : '') +
    `, ${settings.unetPrecision ?? 'float32'}`
  )
}

function imageLine(image: ImageTiming): string {
  return (
    `${image.imageSeconds.toFixed(1)} s (base ${image.baseSeconds.toFixed(1)} s, ` +
    `upsampler ${image.upsampleSeconds.toFixed(1)} s; ${image.cpuSeconds.toFixed(0)} CPU-s)`
  )
}

export async function runWholeImage(
  options: {
    presets?: readonly PresetName[]
    seed?: number
    images?: number
    /** Settings over every preset's (for trying a change: --settings '{"baseRespacing":"4,16"}'). */
    overrides?: Partial<SamplingSettings>
    /** CLIP-guided images at this scale instead of classifier-free ones. */
    clipGuidanceScale?: number
  } = {},
): Promise<void> {
  const presets = options.presets ?? presetNames
  const seed = options.seed ?? 1
  const imageCount = options.images ?? 2
  console.log(
    `\nwhole image, official size, 256 px, batch 1, random weights (seeds ${seed}…${seed + imageCount - 1}, ` +
      `${imageCount} images per loaded pair of models` +
      (options.clipGuidanceScale === undefined
        ? ''
        : options.clipGuidanceScale === 0
          ? '; CLIP guidance 0, so no CLIP loaded, as in the app'
          : `; CLIP-guided at scale ${options.clipGuidanceScale}, released-size noised CLIP`) +
      '):',
  )
  const results: WholeImageResult[] = []
  for (const preset of presets) {
    const result = runChild(
      preset,
      seed,
      imageCount,
      options.overrides ?? {},
      options.clipGuidanceScale,
    )
    const first = result?.images[0]
    if (!result || !first) continue
    results.push(result)
    const later = result.images.slice(1)
    console.log(
      `  ${preset.padEnd(7)} first image after loading ${imageLine(first)}` +
        (later.length
          ? `; next ${later.length === 1 ? 'image' : 'images'} ${later.map(imageLine).join(', ')}`
          : '') +
        `; ${result.threads} threads; U-Net rows per image: base ${first.baseRows} in ${first.baseSteps} steps, ` +
        `upsampler ${first.upsampleRows} in ${first.upsampleSteps} steps; ` +
        `peak RSS ${Math.round(result.maxRssMiB)} MiB (both models loaded, ${result.loadSeconds.toFixed(1)} s to load` +
        (result.prepareSeconds > 0
          ? `, ${result.prepareSeconds.toFixed(0)} s to make the 8-bit copies first`
          : '') +
        '); ' +
        settingsLine(result.settings),
    )
  }
  const quality = results.find((result) => result.preset === 'quality')
  const fast = results.find((result) => result.preset === 'fast')
  const qualityFirst = quality?.images[0]
  const fastFirst = fast?.images[0]
  if (quality && fast && qualityFirst && fastFirst) {
    const rows = (image: ImageTiming) => image.baseRows + image.upsampleRows
    console.log(
      `  Fast vs Quality: ${(warmSeconds(quality) / warmSeconds(fast)).toFixed(2)}× faster ` +
        `(${warmSeconds(fast).toFixed(1)} vs ${warmSeconds(quality).toFixed(1)} s per warm image; first images ` +
        `${(qualityFirst.imageSeconds / fastFirst.imageSeconds).toFixed(2)}×), ` +
        `${rows(fastFirst)} vs ${rows(qualityFirst)} U-Net rows ` +
        `(base ${fastFirst.baseRows}/${qualityFirst.baseRows}, upsampler ${fastFirst.upsampleRows}/${qualityFirst.upsampleRows})`,
    )
  }
  const gb = (bytes: number) => (bytes / 1e9).toFixed(2)
  for (const kind of ['base', 'upsample'] as const) {
    const use = await folderDiskUse(officialModelPaths(kind).folder).catch(() => null)
    if (!use) continue
    console.log(
      `  disk, installed ${kind} model: ${gb(use.modelBytes)} GB + ${gb(use.cacheBytes)} GB optimised-graph cache (.ort-cache)`,
    )
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  if (args[0] === 'child') {
    const preset = args[1] as PresetName
    const overrides = JSON.parse(args[4] ?? '{}') as Partial<SamplingSettings>
    const clipScale = args[5] === undefined ? undefined : Number(args[5])
    console.log(
      JSON.stringify(
        await runPreset(preset, Number(args[2] ?? 1), Number(args[3] ?? 1), overrides, clipScale),
      ),
    )
  } else {
    const presetsFlag = args.indexOf('--presets')
    const seedFlag = args.indexOf('--seed')
    const imagesFlag = args.indexOf('--images')
    const settingsFlag = args.indexOf('--settings')
    const clipFlag = args.indexOf('--clip-guidance')
    await runWholeImage({
      ...(clipFlag >= 0 ? { clipGuidanceScale: Number(args[clipFlag + 1]) } : {}),
      ...(settingsFlag >= 0
        ? { overrides: JSON.parse(args[settingsFlag + 1] ?? '{}') as Partial<SamplingSettings> }
        : {}),
      ...(imagesFlag >= 0 ? { images: Number(args[imagesFlag + 1]) } : {}),
      ...(presetsFlag >= 0
        ? { presets: (args[presetsFlag + 1] ?? '').split(',') as PresetName[] }
        : {}),
      ...(seedFlag >= 0 ? { seed: Number(args[seedFlag + 1]) } : {}),
    })
  }
}
