import { mkdir, readFile, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { GlideError } from '../../contract/errors'
import { zUNetKind } from '../../contract/model'
import type { GlideOptions, UNetKind } from '../engine/glideOptions'
import { downloadFile } from '../models/download'
import { importCheckpoint } from '../models/importer'
import { officialModels } from '../models/officialModels'
import { defaultModelsDir } from '../models/paths'

class UsageFailure extends GlideError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message)
  }
}

/** Reads OPTIONS.json: glide-text2im option names, either bare or under "options" (a config.json). */
async function readOptions(path: string): Promise<Partial<GlideOptions>> {
  let json: unknown
  try {
    json = JSON.parse(await readFile(path, 'utf8'))
  } catch (error) {
    throw new UsageFailure(`Cannot read ${path} as JSON: ${(error as Error).message}`)
  }
  const options =
    json && typeof json === 'object' && 'options' in json
      ? (json as { options: unknown }).options
      : json
  if (!options || typeof options !== 'object' || Array.isArray(options)) {
    throw new UsageFailure(`${path} does not hold an options object.`)
  }
  return options as Partial<GlideOptions>
}

function stageReporter(label: string): (stage: string) => void {
  return (stage) => process.stderr.write(`${label}: ${stage}\n`)
}

/**
 * `import --kind KIND --checkpoint FILE.pt [--options OPTIONS.json] [--name N] [--license L]
 *  [--upsample-from-low-res-at T] --out DIR`
 */
export async function importCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      kind: { type: 'string' },
      checkpoint: { type: 'string' },
      options: { type: 'string' },
      out: { type: 'string' },
      name: { type: 'string' },
      license: { type: 'string' },
      'upsample-from-low-res-at': { type: 'string' },
    },
    strict: true,
  })
  const kind = zUNetKind.safeParse(values.kind)
  if (!kind.success) throw new UsageFailure(`--kind must be one of ${zUNetKind.options.join(', ')}`)
  if (!values.checkpoint) throw new UsageFailure('--checkpoint is required')
  if (!values.out) throw new UsageFailure('--out is required')
  const startText = values['upsample-from-low-res-at']
  const startAt = startText === undefined ? undefined : Number(startText)
  if (startAt !== undefined && !Number.isInteger(startAt)) {
    throw new UsageFailure('--upsample-from-low-res-at takes a timestep (an integer)')
  }
  const folder = await importCheckpoint({
    kind: kind.data,
    checkpointPath: resolve(values.checkpoint),
    outDir: resolve(values.out),
    ...(values.options ? { options: await readOptions(values.options) } : {}),
    ...(values.name ? { name: values.name } : {}),
    ...(values.license ? { license: values.license } : {}),
    ...(startAt === undefined ? {} : { sampling: { upsampleFromLowResAt: startAt } }),
    onStage: stageReporter('import'),
  })
  process.stdout.write(`${folder.manifest.id} (${folder.manifest.kind}) → ${folder.dir}\n`)
}

/** `models download [NAME|all]`: fetch the released checkpoints and import them. */
export async function downloadCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: { 'models-dir': { type: 'string' } },
    allowPositionals: true,
    strict: true,
  })
  const wanted = positionals[0] ?? 'all'
  const modelsDir = resolve(values['models-dir'] ?? defaultModelsDir())
  const catalogue = officialModels()
  const chosen = catalogue.filter(
    (model) => wanted === 'all' || [model.key, model.id, model.kind].includes(wanted),
  )
  if (chosen.length === 0) {
    throw new UsageFailure(
      `No official model "${wanted}"; one of: all, ${catalogue.map((model) => model.id).join(', ')}`,
    )
  }
  await mkdir(modelsDir, { recursive: true })
  for (const model of chosen) {
    const unetKind = zUNetKind.safeParse(model.kind)
    if (!unetKind.success) {
      process.stderr.write(`${model.id}: CLIP models cannot be imported yet; skipped.\n`)
      continue
    }
    const checkpoint = join(modelsDir, `.${model.fileName}`)
    let lastShown = 0
    const downloaded = await downloadFile(model.url, checkpoint, {
      onProgress(received, total) {
        const now = Date.now()
        if (now - lastShown < 500) return
        lastShown = now
        const mb = (bytes: number) => (bytes / 1048576).toFixed(0)
        process.stderr.write(
          `\r${model.id}: ${mb(received)}${total ? ` / ${mb(total)}` : ''} MB\u001b[K`,
        )
      },
    })
    process.stderr.write('\n')
    try {
      await importCheckpoint({
        kind: unetKind.data as UNetKind,
        checkpointPath: downloaded.path,
        outDir: join(modelsDir, model.id),
        id: model.id,
        name: model.name,
        license: model.license,
        sha256: downloaded.sha256,
        ...(model.options ? { options: model.options } : {}),
        onStage: stageReporter(model.id),
      })
    } finally {
      await rm(downloaded.path, { force: true })
    }
    process.stdout.write(`${model.id} → ${join(modelsDir, model.id)}\n`)
  }
}
