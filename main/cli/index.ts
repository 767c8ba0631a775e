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
import { requests } from '../../contract/ipc'
import { defaultSamplingSettings, type JobSummary } from '../../contract/jobs'
import type { Emit } from '../ipc/services'
import { createNodeServices } from '../server/nodeServices'
import { encodePng } from '../documents/imageCodec'
import { addPngTextChunks } from '../documents/pngText'
import { decodeImageAndMask } from './images'
import { importCommand, downloadCommand } from './modelCommands'
import { progressWriter } from './progressBar'

export const usage = `Usage: glide-studio <command> [options]

Commands:
  generate --prompt P --out FILE.png [sampling options]
  inpaint  --image IMG --mask MASK.png --prompt P --out FILE.png [sampling options]
           (mask: white = regenerate, black = keep)
  import   --kind KIND --checkpoint FILE.pt [--options OPTIONS.json] --out DIR
           [--name NAME] [--license TEXT]
           [--upsample-from-low-res-at T]  (upsamplers: start from low_res noised to step T)
  models list
  models download [NAME|all]

Sampling options:
  --model ID           base model (default: the best installed)
  --upsampler ID|none  upsampler (default: the best installed; none = 64 px)
  --guidance S         classifier-free guidance scale (default 3; inpaint 5)
  --steps R            base respacing, e.g. 100, 27, fast27 (default 100)
  --upsample-steps R   upsampler respacing (default fast27)
  --upsample-temp T    upsampler noise temperature (default 0.997)
  --seed N             0..4294967295 (default: random)
  --batch B            images per run (FILE-1.png, FILE-2.png, …)
  --models-dir DIR     where model folders live
`

const samplingOptions = {
  prompt: { type: 'string' },
  model: { type: 'string' },
  upsampler: { type: 'string' },
  guidance: { type: 'string' },
  steps: { type: 'string' },
  'upsample-steps': { type: 'string' },
  'upsample-temp': { type: 'string' },
  seed: { type: 'string' },
  batch: { type: 'string' },
  'models-dir': { type: 'string' },
  out: { type: 'string' },
  image: { type: 'string' },
  mask: { type: 'string' },
} as const satisfies ParseArgsConfig['options']

export class UsageError extends Error {}

function number(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const parsed = Number(value)
  if (value.trim() === '' || !Number.isFinite(parsed))
    throw new UsageError(`--${name} must be a number`)
  return parsed
}

function required(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`)
  return value
}

/** FILE.png for one image; FILE-1.png, FILE-2.png, … for a batch. */
export function outputPaths(out: string, count: number): string[] {
  if (count === 1) return [out]
  const dot = out.toLowerCase().endsWith('.png') ? out.length - 4 : out.length
  return Array.from(
    { length: count },
    (_, index) => `${out.slice(0, dot)}-${index + 1}${out.slice(dot) || '.png'}`,
  )
}

/** The same keys as the editor's PNG exports: prompt, seed and settings as JSON. */
function settingsText(kind: string, settings: object, job: JobSummary): Record<string, string> {
  return {
    Software: 'Glide Studio',
    parameters: JSON.stringify({ kind, ...settings, modelIds: job.result?.modelIds ?? [] }),
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
  const prompt = required(values.prompt, 'prompt')
  const randomSeed = Math.floor(Math.random() * 0x100000000)
  const settings = {
    prompt,
    guidanceScale: number(
      values.guidance,
      'guidance',
      kind === 'inpaint' ? 5 : defaultSamplingSettings.guidanceScale,
    ),
    baseRespacing: values.steps ?? defaultSamplingSettings.baseRespacing,
    upsampleRespacing: values['upsample-steps'] ?? defaultSamplingSettings.upsampleRespacing,
    upsampleTemperature: number(
      values['upsample-temp'],
      'upsample-temp',
      defaultSamplingSettings.upsampleTemperature,
    ),
    seed: number(values.seed, 'seed', randomSeed),
    batchSize: number(values.batch, 'batch', 1),
    ...(values.model ? { modelId: values.model } : {}),
    ...(values.upsampler
      ? { upsampleModelId: values.upsampler === 'none' ? null : values.upsampler }
      : {}),
  }
  const images =
    kind === 'inpaint'
      ? await decodeImageAndMask(required(values.image, 'image'), required(values.mask, 'mask'))
      : null
  const parsed = requests['jobs.submit'].input.safeParse(
    images
      ? { kind, settings, image: images.image, keepMask: images.keepMask }
      : { kind, settings },
  )
  if (!parsed.success) {
    throw new UsageError(`invalid settings: ${describeIssues(parsed.error, 1)}`)
  }

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
    const submitted = await node.services.handlers['jobs.submit'](parsed.data)
    process.stderr.write(`seed ${settings.seed}\n`)
    const job =
      finished.get(submitted.id) ??
      (await new Promise<JobSummary>((resolve) => waiters.set(submitted.id, resolve)))
    progress.done()
    if (job.state === 'cancelled') throw new GlideError('CANCELLED', 'Cancelled.')
    if (job.state === 'failed' || !job.result) {
      throw new GlideError(job.error?.code ?? 'INTERNAL', job.error?.message ?? 'The job failed.')
    }
    const paths = outputPaths(out, job.result.images.length)
    await Promise.all(
      job.result.images.map((image, index) =>
        encodePng(image.rgba, image.width, image.height, 4).then((png) =>
          writeFile(paths[index] ?? out, addPngTextChunks(png, settingsText(kind, settings, job))),
        ),
      ),
    )
    const seconds = (job.result.elapsedMs / 1000).toFixed(1)
    process.stderr.write(
      `${job.result.modelIds.join(' + ')} on ${job.result.provider.toUpperCase()}, ${seconds} s\n`,
    )
    for (const path of paths) process.stdout.write(`${path}\n`)
  } finally {
    process.off('SIGINT', interrupt)
    await node.dispose()
  }
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
    const rows = models.map((model) => [
      model.id,
      model.kind,
      model.official ? 'official' : '',
      model.name,
    ])
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
