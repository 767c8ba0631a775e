/**
 * `npm run bench -- --vs-torch`: one official-size U-Net step through the app and through PyTorch,
 * same weights, same inputs, back to back (so the same minute of the same machine):
 *
 * - base, batch 2 (the caption row and the empty classifier-free row), and upsampler, batch 1;
 * - the weights: a PyTorch checkpoint from a fixed seed, imported with the app's importer
 *   (officialModels.ts); the app loads the folder as its model cache does (loadGlideUNet, CPU,
 *   appIntraOpThreads()), PyTorch loads the checkpoint into native-models/training/glide_model.py
 *   with torch.set_num_threads at the same count;
 * - each side encodes the text once, makes one warm-up forward (whose output is compared: the
 *   largest absolute difference shows the weights and the graph are the same), then times
 *   `runs` forwards, wall and CPU (all threads of the process).
 *
 * Each side runs in a process of its own, so neither holds the other's 1.5 GB while it runs.
 * Usage: tsx bench/vsTorch.ts [--runs N] [--kinds base,upsample]
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { officialOptions, type UNetKind } from '../main/engine/glideOptions'
import { SeededNoise } from '../main/engine/random/noise'
import { tokenize } from '../main/engine/tokenizer/gpt2Tokenizer'
import { appIntraOpThreads } from '../main/inference/host/executionProviders'
import { distanceStats } from './convergenceStats'
import { ensureOfficialModel, loadAsTheApp, runTorchScript } from './officialModels'

export interface SideResult {
  threads: number
  stepSeconds: number[]
  cpuSeconds: number[]
  maxRssMiB: number
}

interface TorchResult extends SideResult {
  torch: string
}

const prompt = 'an oil painting of a corgi'

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length
}

function floatsOf(bytes: Buffer): Float32Array {
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice()
}

/** The step's inputs, as raw files both sides read: the app's view of one sampling step. */
async function writeInputs(kind: UNetKind, batch: number, dir: string): Promise<void> {
  const options = officialOptions(kind)
  const size = options.image_size
  const noise = new SeededNoise(7)
  const captions = [prompt, ...new Array<string>(batch - 1).fill('')]
  const tokenized = await Promise.all(captions.map((text) => tokenize(text, options.text_ctx)))
  const low = size / 4
  const lowRes = noise.normal(batch * 3 * low * low).map((value) => Math.tanh(value))
  const files: Record<string, ArrayBufferView> = {
    'x.f32': noise.normal(batch * 3 * size * size),
    'timesteps.i64': new BigInt64Array(batch).fill(500n),
    'tokens.i64': BigInt64Array.from(tokenized.flatMap((row) => row.padded.map(BigInt))),
    'mask.u8': Uint8Array.from(tokenized.flatMap((row) => row.mask.map(Number))),
    'low_res.f32': lowRes,
  }
  for (const [name, data] of Object.entries(files)) {
    await writeFile(join(dir, name), new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
  }
  await writeFile(
    join(dir, 'inputs.json'),
    JSON.stringify({ batch, size, text_ctx: options.text_ctx, captions }),
  )
}

/** The app side (run in a child process): load as the app, encode, warm up, time. */
async function appStep(
  kind: UNetKind,
  folder: string,
  dir: string,
  runs: number,
): Promise<SideResult> {
  const meta = JSON.parse(await readFile(join(dir, 'inputs.json'), 'utf8')) as {
    batch: number
    size: number
    text_ctx: number
  }
  const { batch, size, text_ctx: ctx } = meta
  const tokenBytes = await readFile(join(dir, 'tokens.i64'))
  const tokens = new BigInt64Array(
    tokenBytes.buffer,
    tokenBytes.byteOffset,
    tokenBytes.byteLength / 8,
  )
  const mask = await readFile(join(dir, 'mask.u8'))
  const rows = (row: number) => Array.from({ length: ctx }, (_, i) => row * ctx + i)
  const threads = appIntraOpThreads()
  const unet = await loadAsTheApp(folder, threads)
  const text = await unet.encodeText(
    Array.from({ length: batch }, (_, row) => rows(row).map((i) => Number(tokens[i]))),
    Array.from({ length: batch }, (_, row) => rows(row).map((i) => mask[i] === 1)),
  )
  const inputs = {
    x: floatsOf(await readFile(join(dir, 'x.f32'))),
    timesteps: new Array<number>(batch).fill(500),
    text,
    ...(kind === 'upsample' ? { lowRes: floatsOf(await readFile(join(dir, 'low_res.f32'))) } : {}),
  }
  if (inputs.x.length !== batch * 3 * size * size) throw new Error('x has the wrong size')
  const first = await unet.denoise(inputs)
  await writeFile(join(dir, 'app_out.f32'), new Uint8Array(first.slice().buffer))
  const stepSeconds: number[] = []
  const cpuSeconds: number[] = []
  for (let run = 0; run < runs; run++) {
    const cpuBefore = process.cpuUsage()
    const start = performance.now()
    await unet.denoise(inputs)
    stepSeconds.push((performance.now() - start) / 1000)
    const cpu = process.cpuUsage(cpuBefore)
    cpuSeconds.push((cpu.user + cpu.system) / 1e6)
  }
  await unet.dispose()
  return { threads, stepSeconds, cpuSeconds, maxRssMiB: process.resourceUsage().maxRSS / 1024 }
}

function runAppChild(kind: UNetKind, folder: string, dir: string, runs: number): SideResult {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), 'app', kind, folder, dir, String(runs)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
  )
  const line = child.stdout.split('\n').find((text) => text.startsWith('{'))
  if (child.status !== 0 || !line) throw new Error(`app step child exited with ${child.status}`)
  return JSON.parse(line) as SideResult
}

function describe(side: SideResult): string {
  const wall = mean(side.stepSeconds)
  const cpu = mean(side.cpuSeconds)
  return (
    `${wall.toFixed(2)} s wall (runs ${side.stepSeconds.map((s) => s.toFixed(2)).join(', ')}), ` +
    `${cpu.toFixed(2)} CPU-s, ${side.threads} threads, peak RSS ${Math.round(side.maxRssMiB)} MiB`
  )
}

export async function runVsTorch(options: { runs?: number; kinds?: UNetKind[] } = {}) {
  const runs = options.runs ?? 2
  const cases: { kind: UNetKind; batch: number }[] = [
    { kind: 'base', batch: 2 },
    { kind: 'upsample', batch: 1 },
  ].filter(({ kind }) => !options.kinds || options.kinds.includes(kind as UNetKind)) as {
    kind: UNetKind
    batch: number
  }[]
  console.log(`\nvs PyTorch (same weights, same inputs, back to back, ${runs} timed runs each):`)
  for (const { kind, batch } of cases) {
    const paths = await ensureOfficialModel(kind, (line) => console.log(`  ${line}`))
    const dir = await mkdtemp(join(tmpdir(), `glide-vs-torch-${kind}-`))
    try {
      await writeInputs(kind, batch, dir)
      const startedAt = new Date()
      const app = runAppChild(kind, paths.folder, dir, runs)
      const torch = runTorchScript<TorchResult>([
        'step',
        '--kind',
        kind,
        '--options',
        JSON.stringify(officialOptions(kind)),
        '--checkpoint',
        paths.checkpoint,
        '--inputs',
        dir,
        '--threads',
        String(app.threads),
        '--runs',
        String(runs),
      ])
      const minutes = (Date.now() - startedAt.getTime()) / 60000
      console.error(`  raw: ${JSON.stringify({ kind, app, torch })}`)
      const appOut = floatsOf(await readFile(join(dir, 'app_out.f32')))
      const torchOut = floatsOf(await readFile(join(dir, 'torch_out.f32')))
      const difference = distanceStats(appOut, torchOut)
      const scale = torchOut.reduce((largest, value) => Math.max(largest, Math.abs(value)), 0)
      const wallRatio = mean(torch.stepSeconds) / mean(app.stepSeconds)
      const cpuRatio = mean(torch.cpuSeconds) / mean(app.cpuSeconds)
      console.log(
        `  ${kind} step (batch ${batch}): app ${describe(app)}\n` +
          `  ${' '.repeat(kind.length)}              PyTorch ${torch.torch} ${describe(torch)}\n` +
          `  ${' '.repeat(kind.length)}              ratio PyTorch / app: ${wallRatio.toFixed(2)}× wall, ${cpuRatio.toFixed(2)}× CPU; ` +
          `same weights: max |app − PyTorch| ${difference.maxAbs.toExponential(2)} (outputs up to ${scale.toFixed(2)}), ` +
          `both sides within ${minutes.toFixed(1)} min from ${startedAt.toISOString().slice(11, 19)} UTC`,
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [phase, kind, folder, dir, runs] = process.argv.slice(2)
  if (phase === 'app' && kind && folder && dir) {
    console.log(JSON.stringify(await appStep(kind as UNetKind, folder, dir, Number(runs ?? 2))))
  } else {
    const args = process.argv.slice(2)
    const runsFlag = args.indexOf('--runs')
    const kindsFlag = args.indexOf('--kinds')
    await runVsTorch({
      ...(runsFlag >= 0 ? { runs: Number(args[runsFlag + 1]) } : {}),
      ...(kindsFlag >= 0 ? { kinds: (args[kindsFlag + 1] ?? '').split(',') as UNetKind[] } : {}),
    })
  }
}
