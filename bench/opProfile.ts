/**
 * Where an official-size U-Net step spends its time: ONNX Runtime's own profiler on one step of the
 * base (batch 2) and of the upsampler (batch 1), sessions made with the inference host's options
 * (onnxGlideUNet.ts sessionOptions, with the app's thread policy). Prints each operator type's
 * share of the step and the arithmetic rate of the convolutions (2 × output elements × input
 * channels per group × kernel area per Conv node, over the Conv nodes' time), to compare with what
 * the CPU can do at most. The inputs are random (the cost of a step does not depend on the values).
 * Usage: tsx bench/opProfile.ts
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as ort from 'onnxruntime-node'

import { officialOptions, type UNetKind } from '../main/engine/glideOptions'
import { SeededNoise } from '../main/engine/random/noise'
import { appIntraOpThreads } from '../main/inference/host/executionProviders'
import { sessionOptions } from '../main/inference/host/onnxGlideUNet'
import { ensureOfficialModel } from './officialModels'

interface ProfileEvent {
  cat?: string
  name: string
  dur: number
  ts: number
  args?: {
    op_name?: string
    input_type_shape?: Record<string, number[]>[]
    output_type_shape?: Record<string, number[]>[]
  }
}

export interface OperatorShare {
  op: string
  seconds: number
  share: number
  nodes: number
}

export interface StepProfile {
  kind: UNetKind
  stepSeconds: number
  operators: OperatorShare[]
  convGflop: number
  convGflopPerSecond: number
}

function shapeOf(entry: Record<string, number[]> | undefined): number[] {
  return entry ? (Object.values(entry)[0] ?? []) : []
}

function product(values: readonly number[]): number {
  return values.reduce((total, value) => total * value, 1)
}

/** Multiply-adds × 2 of one Conv node: output elements × weight elements per output channel. */
export function convFlops(event: ProfileEvent): number {
  const output = shapeOf(event.args?.output_type_shape?.[0])
  const weight = shapeOf(event.args?.input_type_shape?.[1])
  if (output.length !== 4 || weight.length !== 4) return 0
  return 2 * product(output) * product(weight.slice(1))
}

/** The last model run's node events, summed per operator type. */
export function summariseProfile(events: readonly ProfileEvent[], kind: UNetKind): StepProfile {
  const runs = events.filter((event) => event.name === 'model_run')
  const last = runs[runs.length - 1]
  if (!last) throw new Error('the profile has no model_run event')
  const nodes = events.filter(
    (event) =>
      event.cat === 'Node' &&
      event.name.endsWith('_kernel_time') &&
      event.ts >= last.ts &&
      event.ts <= last.ts + last.dur,
  )
  const byOp = new Map<string, { micros: number; nodes: number }>()
  let convMicros = 0
  let convFlopTotal = 0
  for (const node of nodes) {
    const op = node.args?.op_name ?? 'unknown'
    const entry = byOp.get(op) ?? { micros: 0, nodes: 0 }
    entry.micros += node.dur
    entry.nodes += 1
    byOp.set(op, entry)
    if (op === 'Conv' || op === 'FusedConv') {
      convMicros += node.dur
      convFlopTotal += convFlops(node)
    }
  }
  const total = [...byOp.values()].reduce((sum, entry) => sum + entry.micros, 0)
  const operators = [...byOp.entries()]
    .map(([op, entry]) => ({
      op,
      seconds: entry.micros / 1e6,
      share: entry.micros / total,
      nodes: entry.nodes,
    }))
    .sort((a, b) => b.seconds - a.seconds)
  return {
    kind,
    stepSeconds: last.dur / 1e6,
    operators,
    convGflop: convFlopTotal / 1e9,
    convGflopPerSecond: convMicros ? convFlopTotal / 1e3 / convMicros : 0,
  }
}

async function profileStep(kind: UNetKind): Promise<StepProfile> {
  const { folder } = await ensureOfficialModel(kind)
  const options = officialOptions(kind)
  const batch = kind === 'base' ? 2 : 1
  const size = options.image_size
  const profileDir = await mkdtemp(join(tmpdir(), 'glide-op-profile-'))
  try {
    const session = await ort.InferenceSession.create(join(folder, 'unet.onnx'), {
      ...sessionOptions('cpu', appIntraOpThreads()),
      enableProfiling: true,
      profileFilePrefix: join(profileDir, kind),
    })
    const noise = new SeededNoise(3)
    const tensor = (dims: number[]) => new ort.Tensor('float32', noise.normal(product(dims)), dims)
    const feeds: Record<string, ort.Tensor> = {
      x: tensor([batch, 3, size, size]),
      timesteps: new ort.Tensor('int64', new BigInt64Array(batch).fill(500n), [batch]),
      xf_proj: tensor([batch, 4 * options.num_channels]),
      xf_out: tensor([batch, options.xf_width, options.text_ctx]),
    }
    if (session.inputNames.includes('low_res')) feeds.low_res = tensor([batch, 3, 64, 64])
    await session.run(feeds)
    await session.run(feeds)
    await session.release()
    const [file] = (await readdir(profileDir)).filter((name) => name.endsWith('.json'))
    if (!file) throw new Error('ONNX Runtime wrote no profile')
    const events = JSON.parse(await readFile(join(profileDir, file), 'utf8')) as ProfileEvent[]
    return summariseProfile(events, kind)
  } finally {
    await rm(profileDir, { recursive: true, force: true })
  }
}

export async function runOpProfile(): Promise<StepProfile[]> {
  const results: StepProfile[] = []
  console.log(`\nWhere a step's time goes (ONNX Runtime profiler, app's options, random inputs):`)
  for (const kind of ['base', 'upsample'] as const) {
    const profile = await profileStep(kind)
    results.push(profile)
    const top = profile.operators
      .slice(0, 6)
      .map((entry) => `${entry.op} ${(entry.share * 100).toFixed(1)} %`)
      .join(', ')
    console.log(
      `  ${kind}: step ${profile.stepSeconds.toFixed(2)} s; ${top}; convolutions ${profile.convGflop.toFixed(0)} GFLOP at ` +
        `${profile.convGflopPerSecond.toFixed(0)} GFLOP/s`,
    )
  }
  return results
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runOpProfile()
