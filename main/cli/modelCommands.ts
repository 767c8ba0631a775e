import { mkdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { GlideError } from '../../contract/errors'
import { zModelKindName, zUNetKind } from '../../contract/model'
import { parseClipConfigText } from '../engine/clip/clipOptions'
import type { GlideOptions } from '../engine/glideOptions'
import { importCheckpoint, importClipCheckpoint, installOfficialModel } from '../models/importer'
import { pathExists } from '../models/modelFolder'
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
  const anyKind = zModelKindName.safeParse(values.kind)
  if (!anyKind.success) {
    throw new UsageFailure(`--kind must be one of ${zModelKindName.options.join(', ')}`)
  }
  if (!values.checkpoint) throw new UsageFailure('--checkpoint is required')
  if (!values.out) throw new UsageFailure('--out is required')
  if (anyKind.data === 'clip-image' || anyKind.data === 'clip-text') {
    await importClipCommand(anyKind.data, values.checkpoint, values.out, values)
    return
  }
  const kind = zUNetKind.safeParse(anyKind.data)
  if (!kind.success) throw new UsageFailure(`--kind ${anyKind.data} is not a U-Net kind`)
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

/** `import --kind clip-image|clip-text`: --options is the CLIP config.yaml (or the same as JSON). */
async function importClipCommand(
  kind: 'clip-image' | 'clip-text',
  checkpoint: string,
  out: string,
  values: { options?: string; name?: string; license?: string },
): Promise<void> {
  let options: Record<string, unknown> | undefined
  if (values.options) {
    let text: string
    try {
      text = await readFile(values.options, 'utf8')
    } catch (error) {
      throw new UsageFailure(`Cannot read ${values.options}: ${(error as Error).message}`)
    }
    options = parseClipConfigText(text, values.options)
  }
  const folder = await importClipCheckpoint({
    kind,
    checkpointPath: resolve(checkpoint),
    outDir: resolve(out),
    ...(options ? { options } : {}),
    ...(values.name ? { name: values.name } : {}),
    ...(values.license ? { license: values.license } : {}),
    onStage: stageReporter('import'),
  })
  process.stdout.write(`${folder.manifest.id} (${folder.manifest.kind}) → ${folder.dir}\n`)
}

/** `models download [NAME|clip|all]`: fetch the released checkpoints and import them. */
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
    (model) =>
      wanted === 'all' ||
      (wanted === 'clip' && model.kind.startsWith('clip-')) ||
      [model.key, model.id, model.kind].includes(wanted),
  )
  if (chosen.length === 0) {
    throw new UsageFailure(
      `No official model "${wanted}"; one of: all, clip, ${catalogue.map((model) => model.id).join(', ')}`,
    )
  }
  await mkdir(modelsDir, { recursive: true })
  for (const model of chosen) {
    const folder = join(modelsDir, model.id)
    if (await pathExists(folder)) {
      // Checked before fetching: an installed model is never downloaded again (1.5 GB for nothing).
      process.stderr.write(
        `${model.id}: already installed in ${folder}; skipped (remove that folder to download it again).\n`,
      )
      continue
    }
    let lastShown = 0
    // The app's Models dialog installs the same way, into the same .downloads folder: a download
    // stopped in one is resumed by the other.
    await installOfficialModel({
      kind: model.kind,
      modelsDir,
      onProgress(received, total) {
        const now = Date.now()
        if (now - lastShown < 500) return
        lastShown = now
        const mb = (bytes: number) => (bytes / 1048576).toFixed(0)
        process.stderr.write(
          `\r${model.id}: ${mb(received)}${total ? ` / ${mb(total)}` : ''} MB\u001b[K`,
        )
      },
      onStage(stage) {
        if (stage !== 'downloading') process.stderr.write(`\n${model.id}: ${stage}`)
      },
    })
    process.stderr.write('\n')
    process.stdout.write(`${model.id} → ${join(modelsDir, model.id)}\n`)
  }
}
