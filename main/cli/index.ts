/**
 * The `glide-studio` command: the app's services without a window.
 *   generate --prompt P [options] --out FILE.png
 *   inpaint --image IMG --mask MASK.png --prompt P [options] --out FILE.png
 *   import --kind KIND --checkpoint FILE.pt [--options OPTIONS.json] --out DIR
 *   models list [--models-dir DIR]
 *   models download [NAME|all] [--models-dir DIR]
 * Progress goes to stderr; a failure exits non-zero with the typed error's message.
 */
import { writeFile } from 'node:fs/promises'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { GlideError, serializeError } from '../../contract/errors'
import { describeIssues } from '../../contract/issues'
import {
  applyPreset,
  generationDefaults,
  generationLimits,
  generationPresets,
  presetCaseOf,
  presetNames,
  randomSeed,
  samplerNames,
  unetPrecisions,
  zPresetName,
  zRegionSettings,
  zSamplingSettings,
  zStrength,
  type GenerationMode,
  type PresetCase,
  type PresetSettings,
  type RegionSettings,
  type SamplingSettings,
} from '../../contract/generation'
import { requests } from '../../contract/ipc'
import type { JobInput, JobKind, JobResult, JobSummary } from '../../contract/jobs'
import type { Emit } from '../ipc/services'
import { createNodeServices } from '../server/nodeServices'
import { readImageFile, readMaskFile } from './images'
import { checkOutput, encodeOutput, outputPaths } from './output'
import { inpaintRegion, refineWholePicture, type PreparedRegion } from './region'
import { importCommand, downloadCommand } from './modelCommands'
import { progressWriter } from './progressBar'

const limits = generationLimits
const defaults = generationDefaults

const presetFlags: Record<keyof PresetSettings, string> = {
  baseSampler: '--sampler',
  baseRespacing: '--steps',
  guidanceCutoff: '--guidance-cutoff',
  guidanceReuseBelow: '--guidance-reuse',
  upsampleSampler: '--upsample-sampler',
  upsampleRespacing: '--upsample-steps',
  upsampleStart: '--upsample-start',
  unetPrecision: '--precision',
}

/** "--steps 100": one preset field as the flag that sets it. */
function presetFlag([field, value]: [string, unknown]): string {
  return `${presetFlags[field as keyof PresetSettings]} ${String(value)}`
}

type OtherCase = Exclude<PresetCase, 'guided'>

/** When a preset's other cases (contract's presetCaseOf) apply, in flags. */
const presetCaseFlags: Record<OtherCase, string> = {
  'strong-guidance':
    `with --guidance above ${generationDefaults.guidanceByMode['text-to-image']}` +
    ` (inpaint: above ${generationDefaults.guidanceByMode.inpaint})`,
  'one-row': 'with --clip-guidance or --guidance 1',
}

/** The usage lines of each preset: the flags it sets, three to a line. */
function presetLines(): string {
  return presetNames
    .map((name) => {
      const entries = Object.entries(generationPresets[name].settings)
      const flags = entries.filter(([, value]) => value !== null).map(presetFlag)
      if (flags.length < entries.length) flags.push("the rest as the notebooks'")
      const lines: string[] = []
      for (let i = 0; i < flags.length; i += 3) lines.push(flags.slice(i, i + 3).join(', '))
      for (const [presetCase, when] of Object.entries(presetCaseFlags)) {
        const caseSettings = generationPresets[name].caseSettings?.[presetCase as OtherCase]
        const caseFlags = Object.entries(caseSettings ?? {}).map(presetFlag)
        if (caseFlags.length > 0) lines.push(`${when}: ${caseFlags.join(', ')}`)
      }
      return lines.map((line, i) => `  ${(i === 0 ? name : '').padEnd(9)}${line}`).join('\n')
    })
    .join('\n')
}

export const usage = `Usage: glide-studio <command> [options]

Commands:
  generate --prompt P --out FILE [sampling options]
           [--init-image IMG --strength S]  (refine IMG: noise it to S·T, ${limits.strength.min}..${limits.strength.max}, and denoise)
  inpaint  --image IMG --mask MASK --prompt P --out FILE [sampling options]
           [--feather PX] [--colour-match]  (feather ${limits.featherPx.min}..${limits.featherPx.max}, default: automatic)
           (mask: the picture's size, white = regenerate, black = keep; transparent pixels of
            IMG are filled too; the output has IMG's size)
  import   --kind KIND --checkpoint FILE.pt [--options OPTIONS.json] --out DIR
           [--name NAME] [--license TEXT]
           [--upsample-from-low-res-at T]  (upsamplers: start from low_res noised to step T)
  models list
  models download [NAME|all]

FILE ends in .png (settings kept in a text chunk), .jpg/.jpeg or .webp.

Presets (--preset P sets these):
${presetLines()}

Sampling options:
  --model ID           base model (default: the best installed)
  --upsampler ID|none  upsampler (default: the best installed; none = base size)
  --guidance S         classifier-free guidance scale, ${limits.guidanceScale.min}..${limits.guidanceScale.max} (default ${defaults.guidanceByMode['text-to-image']}; inpaint ${defaults.guidanceByMode.inpaint})
  --clip-guidance S    CLIP guidance instead, at scale S (the notebook's 3; above 0 it needs a
                       CLIP model)
  --steps R            base respacing, e.g. 100, fast27, 3,17 (sections), 3,17+1 (the noisiest step
                       split in two), 3,17+2-500 (and timestep 500 left out) (default ${defaults.sampling.baseRespacing})
  --upsample-steps R   upsampler respacing (default ${defaults.sampling.upsampleRespacing})
  --upsample-temp T    upsampler noise temperature (default ${defaults.sampling.upsampleTemperature})
  --preset P           ${presetNames.join(' or ')} (default quality); flags given as well override it
  --sampler S          base sampler: ${samplerNames.join(', ')} (default ancestral)
  --upsample-sampler S upsampler sampler (default ddim; inpaint and refine: ancestral)
  --guidance-cutoff F  skip the unconditional rows below F·T, ${limits.guidanceCutoff.min}..${limits.guidanceCutoff.max} (default 0: guide every step)
  --guidance-reuse F   below F·T (above the cutoff) run the unconditional rows every other step and
                       reuse their direction between, ${limits.guidanceReuseBelow.min}..${limits.guidanceReuseBelow.max} (default 0: every step);
                       faster, but it loses accuracy at high guidance (inpainting at 5)
  --upsample-start F   start the upsampler from the low-res image noised to F·T, ${limits.upsampleStart.min}..${limits.upsampleStart.max};
                       --upsample-steps then counts the steps from there (default: the model's own)
  --precision P        U-Net precision on CPU: ${unetPrecisions.join(', ')} (default float32);
                       8 bits run a calibrated copy of the model, made once per model folder (a few
                       minutes at the official size), 2-3× faster per step; int8-upsampler keeps
                       the guided base in float32. GPUs always run float32
  --seed N             ${limits.seed.min}..${limits.seed.max} (default: random)
  --batch B            images per run, up to ${limits.batchSize.max} (FILE-1.png, FILE-2.png, …)
  --models-dir DIR     where model folders live
`

const samplingOptions = {
  prompt: { type: 'string' },
  model: { type: 'string' },
  upsampler: { type: 'string' },
  guidance: { type: 'string' },
  'clip-guidance': { type: 'string' },
  steps: { type: 'string' },
  'upsample-steps': { type: 'string' },
  'upsample-temp': { type: 'string' },
  preset: { type: 'string' },
  sampler: { type: 'string' },
  'upsample-sampler': { type: 'string' },
  'guidance-cutoff': { type: 'string' },
  'guidance-reuse': { type: 'string' },
  'upsample-start': { type: 'string' },
  precision: { type: 'string' },
  seed: { type: 'string' },
  batch: { type: 'string' },
  'models-dir': { type: 'string' },
  out: { type: 'string' },
  image: { type: 'string' },
  mask: { type: 'string' },
  'init-image': { type: 'string' },
  strength: { type: 'string' },
  feather: { type: 'string' },
  'colour-match': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options']

export type SamplingValues = ReturnType<
  typeof parseArgs<{ options: typeof samplingOptions; strict: true }>
>['values']

export class UsageError extends Error {}

/** A number option; `whole` refuses fractions. Malformed text is refused with the flag's name. */
function number(value: string | undefined, name: string, fallback: number, whole = false): number {
  if (value === undefined) return fallback
  const parsed = Number(value)
  if (value.trim() === '' || !Number.isFinite(parsed)) {
    throw new UsageError(`--${name} must be a ${whole ? 'whole ' : ''}number, not "${value}"`)
  }
  if (whole && !Number.isInteger(parsed)) {
    throw new UsageError(`--${name} must be a whole number, not "${value}"`)
  }
  return parsed
}

function required(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`)
  return value
}

const flagOfSetting: Record<string, string> = {
  prompt: '--prompt',
  guidanceScale: '--guidance',
  clipGuidanceScale: '--clip-guidance',
  upsampleTemperature: '--upsample-temp',
  seed: '--seed',
  batchSize: '--batch',
  modelId: '--model',
  upsampleModelId: '--upsampler',
  ...presetFlags,
}

/** An optional number flag: absent stays absent. */
function optionalNumber(value: string | undefined, name: string): number | undefined {
  return value === undefined ? undefined : number(value, name, 0)
}

/**
 * The checked sampling settings, with contract/generation's defaults and messages: the preset's
 * settings (quality by default, the notebooks'), then every flag given explicitly over them.
 */
export function samplingSettings(values: SamplingValues, mode: GenerationMode): SamplingSettings {
  const defaults = generationDefaults.sampling
  const preset = zPresetName.safeParse(values.preset ?? 'quality')
  if (!preset.success) {
    throw new UsageError(`--preset: ${preset.error.issues[0]?.message ?? 'unknown preset'}`)
  }
  const explicit: Partial<Record<keyof PresetSettings, unknown>> = {
    baseSampler: values.sampler,
    baseRespacing: values.steps,
    guidanceCutoff: optionalNumber(values['guidance-cutoff'], 'guidance-cutoff'),
    guidanceReuseBelow: optionalNumber(values['guidance-reuse'], 'guidance-reuse'),
    upsampleSampler: values['upsample-sampler'],
    upsampleRespacing: values['upsample-steps'],
    upsampleStart: optionalNumber(values['upsample-start'], 'upsample-start'),
    unetPrecision: values.precision,
  }
  const guidanceMode = values['clip-guidance'] === undefined ? 'classifier-free' : 'clip'
  const guidanceScale = number(values.guidance, 'guidance', generationDefaults.guidanceByMode[mode])
  const stageSettings: Partial<Record<keyof PresetSettings, unknown>> = applyPreset(
    {},
    preset.data,
    presetCaseOf({ guidanceMode, guidanceScale, mode }),
  )
  for (const [field, value] of Object.entries(explicit)) {
    if (value !== undefined) stageSettings[field as keyof PresetSettings] = value
  }
  const settings = {
    prompt: required(values.prompt, 'prompt'),
    guidanceScale,
    ...stageSettings,
    upsampleTemperature: number(
      values['upsample-temp'],
      'upsample-temp',
      defaults.upsampleTemperature,
    ),
    seed: number(values.seed, 'seed', randomSeed(), true),
    batchSize: number(values.batch, 'batch', defaults.batchSize, true),
    ...(guidanceMode === 'classifier-free'
      ? {}
      : {
          guidanceMode,
          clipGuidanceScale: number(
            values['clip-guidance'],
            'clip-guidance',
            generationDefaults.clipGuidanceScale,
          ),
        }),
    ...(values.model ? { modelId: values.model } : {}),
    ...(values.upsampler
      ? { upsampleModelId: values.upsampler === 'none' ? null : values.upsampler }
      : {}),
  }
  const parsed = zSamplingSettings.safeParse(settings)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const flag = flagOfSetting[String(issue?.path[0])]
    throw new UsageError(`${flag ? `${flag}: ` : ''}${issue?.message ?? 'invalid settings'}`)
  }
  return parsed.data
}

function regionSettings(values: SamplingValues): RegionSettings {
  const featherPx = values.feather === undefined ? null : number(values.feather, 'feather', 0, true)
  const parsed = zRegionSettings.safeParse({
    featherPx,
    colourMatch: values['colour-match'] ?? false,
  })
  if (!parsed.success) throw new UsageError(`--feather: ${parsed.error.issues[0]?.message ?? ''}`)
  return parsed.data
}

export { outputPaths }

/** Runs one job through the app's services; resolves with its result or throws its error. */
async function runJob(values: SamplingValues, input: JobInput): Promise<JobResult> {
  const finished = new Map<string, JobSummary>()
  const waiters = new Map<string, (job: JobSummary) => void>()
  const progress = progressWriter()
  const emit: Emit = (event, payload) => {
    if (event === 'job.progress') progress.update(payload as never)
    if (event === 'job.updated') {
      const job = payload as JobSummary
      if (job.state === 'done' || job.state === 'failed' || job.state === 'cancelled') {
        finished.set(job.id, job)
        waiters.get(job.id)?.(job)
      }
    }
  }
  const node = await createNodeServices({
    mode: 'cli',
    emit,
    ...(values['models-dir'] ? { modelsDir: values['models-dir'] } : {}),
  })
  const interrupt = () => node.services.queue.cancelAll()
  process.once('SIGINT', interrupt)
  try {
    const submitted = await node.services.handlers['jobs.submit'](input)
    process.stderr.write(`seed ${input.settings.seed}\n`)
    const job =
      finished.get(submitted.id) ??
      (await new Promise<JobSummary>((resolve) => waiters.set(submitted.id, resolve)))
    progress.done()
    if (job.state === 'cancelled') throw new GlideError('CANCELLED', 'Cancelled.')
    if (job.state === 'failed' || !job.result) {
      throw new GlideError(job.error?.code ?? 'INTERNAL', job.error?.message ?? 'The job failed.')
    }
    return job.result
  } finally {
    process.off('SIGINT', interrupt)
    await node.dispose()
  }
}

/** The same keys as the editor's PNG exports: prompt, seed and settings as JSON. */
function settingsText(
  kind: JobKind,
  settings: SamplingSettings,
  result: JobResult,
  extra: Record<string, unknown> = {},
): Record<string, string> {
  return {
    Software: 'Glide Studio',
    parameters: JSON.stringify({ kind, ...settings, ...extra, modelIds: result.modelIds }),
  }
}

async function generateCommand(kind: 'generate' | 'inpaint', args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: samplingOptions,
    strict: true,
    allowPositionals: false,
  })
  const out = required(values.out, 'out')
  const initImage = values['init-image']
  if (kind === 'generate' && (values.image || values.mask)) {
    throw new UsageError(
      'generate takes --init-image (and --strength); --image and --mask are for inpaint',
    )
  }
  if (kind === 'inpaint' && (initImage || values.strength)) {
    throw new UsageError('--init-image and --strength are for generate')
  }
  if (kind === 'generate' && (initImage === undefined) !== (values.strength === undefined)) {
    throw new UsageError('--init-image and --strength go together')
  }
  const mode: GenerationMode =
    kind === 'inpaint' ? 'inpaint' : initImage ? 'refine' : 'text-to-image'
  const settings = samplingSettings(values, mode)
  const region = regionSettings(values)
  const strength =
    values.strength === undefined ? undefined : number(values.strength, 'strength', 1)
  if (strength !== undefined) {
    const checked = zStrength.safeParse(strength)
    if (!checked.success) throw new UsageError(`--strength: ${checked.error.issues[0]?.message}`)
  }
  // Everything that can be refused is refused before the models load.
  const format = await checkOutput(out)
  let prepared: PreparedRegion | null = null
  let input: JobInput = { kind: 'generate', settings }
  if (kind === 'inpaint') {
    const picture = await readImageFile(required(values.image, 'image'))
    const painted = await readMaskFile(required(values.mask, 'mask'), picture)
    prepared = inpaintRegion(picture, painted, region)
    input = {
      kind: 'inpaint',
      settings,
      image: prepared.image,
      keepMask: prepared.keepMask ?? new Uint8Array(0),
    }
  } else if (initImage !== undefined && strength !== undefined) {
    prepared = refineWholePicture(await readImageFile(initImage), region)
    input = { kind: 'refine', settings, image: prepared.image, strength }
  }
  const parsed = requests['jobs.submit'].input.safeParse(input)
  if (!parsed.success) throw new UsageError(`invalid job: ${describeIssues(parsed.error, 1)}`)

  const result = await runJob(values, parsed.data)
  const paths = outputPaths(out, result.images.length)
  const text = settingsText(
    input.kind,
    settings,
    result,
    strength === undefined ? {} : { strength },
  )
  await Promise.all(
    result.images.map(async (image, index) => {
      const pixels = prepared ? prepared.compose(image) : image.rgba
      const width = prepared ? prepared.width : image.width
      const height = prepared ? prepared.height : image.height
      const bytes = await encodeOutput(pixels, width, height, format, text)
      await writeFile(paths[index] ?? out, bytes)
    }),
  )
  const seconds = (result.elapsedMs / 1000).toFixed(1)
  process.stderr.write(
    `${result.modelIds.join(' + ')} on ${result.provider.toUpperCase()}, ${seconds} s\n`,
  )
  for (const path of paths) process.stdout.write(`${path}\n`)
}

async function modelsCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args
  if (sub === 'download') return downloadCommand(rest)
  if (sub !== 'list') throw new UsageError('models takes "list" or "download"')
  const { values } = parseArgs({
    args: rest,
    options: { 'models-dir': { type: 'string' } },
    strict: true,
  })
  const node = await createNodeServices({
    mode: 'cli',
    emit: () => undefined,
    ...(values['models-dir'] ? { modelsDir: values['models-dir'] } : {}),
  })
  try {
    const { models } = await node.services.handlers['models.list']({})
    if (models.length === 0) {
      process.stderr.write(
        'No models installed. Import one with "glide-studio import" or "models download".\n',
      )
      return
    }
    const rows = models.map((model) =>
      model.problem === undefined
        ? [model.id, model.kind, model.official ? 'official' : '', model.name]
        : [model.id, '', 'UNUSABLE', model.problem],
    )
    const widths = [0, 1, 2].map((column) =>
      Math.max(...rows.map((row) => (row[column] ?? '').length)),
    )
    for (const row of rows) {
      process.stdout.write(
        `${row
          .map((cell, column) => cell.padEnd(widths[column] ?? 0))
          .join('  ')
          .trimEnd()}\n`,
      )
    }
  } finally {
    await node.dispose()
  }
}

/** Runs one command line; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv
  try {
    switch (command) {
      case 'generate':
      case 'inpaint':
        await generateCommand(command, args)
        return 0
      case 'import':
        await importCommand(args)
        return 0
      case 'models':
        await modelsCommand(args)
        return 0
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(usage)
        return command === undefined ? 2 : 0
      default:
        throw new UsageError(`unknown command "${command}"`)
    }
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`glide-studio: ${(error as Error).message}\n\n${usage}`)
      return 2
    }
    const { code, message } = serializeError(error)
    process.stderr.write(`\nglide-studio: ${message} (${code})\n`)
    return code === 'CANCELLED' ? 130 : 1
  }
}
