/**
 * Whole-image time at the official size (random weights): text to image, batch 1, base and
 * upsampler, through the app's pipeline (textToImage) with the settings applyPreset gives for
 * each preset. Each preset runs in a child process of its own, so the peak RSS it reports is that
 * of one full official run (both models loaded as the app loads them, both stages sampled).
 *
 * Usage: tsx bench/wholeImage.ts [--presets quality,fast] [--seed N]
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

import {
  applyPreset,
  generationDefaults,
  presetNames,
  type PresetName,
  type SamplingSettings,
} from '../contract/generation'
import { countingGlideUNet } from '../main/engine/glideModel'
import { textToImage } from '../main/engine/pipelines'
import { appIntraOpThreads } from '../main/inference/host/executionProviders'
import {
  ensureOfficialModel,
  folderDiskUse,
  loadAsTheApp,
  officialModelPaths,
} from './officialModels'

const prompt = 'an oil painting of a corgi'

export interface WholeImageResult {
  preset: PresetName
  settings: SamplingSettings
  threads: number
  loadSeconds: number
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
  maxRssMiB: number
}

async function runPreset(preset: PresetName, seed: number): Promise<WholeImageResult> {
  const basePaths = await ensureOfficialModel('base', console.error)
  const upsamplePaths = await ensureOfficialModel('upsample', console.error)
  const threads = appIntraOpThreads()
  let start = performance.now()
  let baseRows = 0
  let upsampleRows = 0
  const base = countingGlideUNet(await loadAsTheApp(basePaths.folder, threads), (rows) => {
    baseRows += rows
  })
  const upsampler = countingGlideUNet(await loadAsTheApp(upsamplePaths.folder, threads), (rows) => {
    upsampleRows += rows
  })
  const loadSeconds = (performance.now() - start) / 1000
  const settings: SamplingSettings = applyPreset(
    { ...generationDefaults.sampling, prompt, seed },
    preset,
  )
  let baseEnd = 0
  let baseSteps = 0
  let upsampleSteps = 0
  const cpuBefore = process.cpuUsage()
  start = performance.now()
  await textToImage({ base, upsampler }, settings, {
    onStep: (event) => {
      if (event.stage === 'base') {
        baseSteps = event.step
        baseEnd = performance.now()
      } else {
        upsampleSteps = event.step
      }
      if (event.step === event.totalSteps || event.step % 10 === 0) {
        console.error(
          `  ${preset}: ${event.stage} step ${event.step}/${event.totalSteps} at ${((performance.now() - start) / 1000).toFixed(0)} s`,
        )
      }
    },
  })
  const end = performance.now()
  const cpu = process.cpuUsage(cpuBefore)
  await base.dispose()
  await upsampler.dispose()
  return {
    preset,
    settings,
    threads,
    loadSeconds,
    imageSeconds: (end - start) / 1000,
    baseSeconds: (baseEnd - start) / 1000,
    upsampleSeconds: (end - baseEnd) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    baseRows,
    upsampleRows,
    baseSteps,
    upsampleSteps,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  }
}

function runChild(preset: PresetName, seed: number): WholeImageResult | null {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), 'child', preset, String(seed)],
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
    `, upsampler ${settings.upsampleSampler ?? 'ddim'} "${settings.upsampleRespacing}"` +
    (settings.upsampleStart ? ` from ${settings.upsampleStart}·T` : '')
  )
}

export async function runWholeImage(
  options: { presets?: readonly PresetName[]; seed?: number } = {},
): Promise<void> {
  const presets = options.presets ?? presetNames
  const seed = options.seed ?? 1
  console.log(`\nwhole image, official size, 256 px, batch 1, random weights (seed ${seed}):`)
  const results: WholeImageResult[] = []
  for (const preset of presets) {
    const result = runChild(preset, seed)
    if (!result) continue
    results.push(result)
    console.log(
      `  ${preset.padEnd(7)} ${result.imageSeconds.toFixed(1)} s per image ` +
        `(base ${result.baseSeconds.toFixed(1)} s, upsampler ${result.upsampleSeconds.toFixed(1)} s; ` +
        `${result.cpuSeconds.toFixed(0)} CPU-s; ${result.threads} threads); ` +
        `U-Net rows: base ${result.baseRows} in ${result.baseSteps} steps, upsampler ${result.upsampleRows} in ${result.upsampleSteps} steps; ` +
        `peak RSS ${Math.round(result.maxRssMiB)} MiB (both models loaded, ${result.loadSeconds.toFixed(1)} s to load); ` +
        settingsLine(result.settings),
    )
  }
  const quality = results.find((result) => result.preset === 'quality')
  const fast = results.find((result) => result.preset === 'fast')
  if (quality && fast) {
    const rows = (result: WholeImageResult) => result.baseRows + result.upsampleRows
    console.log(
      `  Fast vs Quality: ${(quality.imageSeconds / fast.imageSeconds).toFixed(2)}× faster, ` +
        `${rows(fast)} vs ${rows(quality)} U-Net rows ` +
        `(base ${fast.baseRows}/${quality.baseRows}, upsampler ${fast.upsampleRows}/${quality.upsampleRows})`,
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
    console.log(JSON.stringify(await runPreset(preset, Number(args[2] ?? 1))))
  } else {
    const presetsFlag = args.indexOf('--presets')
    const seedFlag = args.indexOf('--seed')
    await runWholeImage({
      ...(presetsFlag >= 0
        ? { presets: (args[presetsFlag + 1] ?? '').split(',') as PresetName[] }
        : {}),
      ...(seedFlag >= 0 ? { seed: Number(args[seedFlag + 1]) } : {}),
    })
  }
}
