/**
 * ONNX Runtime session options on the official base step (batch 2, random weights; the cached
 * model of officialModels.ts). Every variant starts from the options the app's host uses
 * (main/inference/host/onnxGlideUNet.ts sessionOptions: CPU, appIntraOpThreads(), spinning off,
 * arena on, memory pattern off, the model folder's unet.onnx optimised at level 'all' when loading; the model cache
 * keeps no optimised copy) and changes one thing:
 *
 *   threads-1            intraOpNumThreads 1
 *   spinning-on          session.intra_op.allow_spinning '1' (ORT's default)
 *   arena-off            enableCpuMemArena false
 *   mem-pattern-on       enableMemPattern true (ORT's default; the app turns it off)
 *   level-basic, level-extended  optimised at that level instead of 'all'
 *   preallocated-output  session.run(feeds, { out: a tensor made once }) instead of a new output
 *
 * Rounds run every variant in turn (even rounds in reverse order), each variant a fresh session:
 * one warm-up run, then `runs` timed runs (wall and process CPU). The ratio to the app's options in
 * the same round is what to read; wall time on a shared machine moves with the neighbours.
 *
 * Usage: tsx bench/ortOptions.ts [--rounds N] [--runs N] [--variants a,b,…]
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as ort from 'onnxruntime-node'

import { officialOptions } from '../main/engine/glideOptions'
import { SeededNoise } from '../main/engine/random/noise'
import { tokenize } from '../main/engine/tokenizer/gpt2Tokenizer'
import { appIntraOpThreads } from '../main/inference/host/executionProviders'
import { sessionOptions } from '../main/inference/host/onnxGlideUNet'
import { ensureOfficialModel } from './officialModels'

interface Variant {
  name: string
  options: ort.InferenceSession.SessionOptions
  preallocatedOutput?: boolean
}

interface Measurement {
  variant: string
  round: number
  createSeconds: number
  stepSeconds: number[]
  cpuSeconds: number[]
}

const batch = 2

function variants(threads: number): Variant[] {
  const app = sessionOptions('cpu', threads)
  return [
    { name: 'app', options: app },
    { name: 'threads-1', options: { ...app, intraOpNumThreads: 1 } },
    {
      name: 'spinning-on',
      options: { ...app, extra: { session: { intra_op: { allow_spinning: '1' } } } },
    },
    { name: 'arena-off', options: { ...app, enableCpuMemArena: false } },
    { name: 'mem-pattern-on', options: { ...app, enableMemPattern: true } },
    { name: 'level-basic', options: { ...app, graphOptimizationLevel: 'basic' } },
    { name: 'level-extended', options: { ...app, graphOptimizationLevel: 'extended' } },
    { name: 'preallocated-output', options: app, preallocatedOutput: true },
  ]
}

async function textFeeds(folder: string): Promise<{ xfProj: ort.Tensor; xfOut: ort.Tensor }> {
  const options = officialOptions('base')
  const ctx = options.text_ctx
  const rows = await Promise.all(
    ['an oil painting of a corgi', ''].map((text) => tokenize(text, ctx)),
  )
  const session = await ort.InferenceSession.create(
    join(folder, 'text_encoder.onnx'),
    sessionOptions('cpu', appIntraOpThreads()),
  )
  const outputs = await session.run({
    tokens: new ort.Tensor(
      'int64',
      BigInt64Array.from(rows.flatMap((row) => row.padded.map(BigInt))),
      [batch, ctx],
    ),
    mask: new ort.Tensor('bool', Uint8Array.from(rows.flatMap((row) => row.mask.map(Number))), [
      batch,
      ctx,
    ]),
  })
  await session.release()
  const xfProj = outputs.xf_proj
  const xfOut = outputs.xf_out
  if (!xfProj || !xfOut) throw new Error('the text encoder gave no xf_proj / xf_out')
  return { xfProj, xfOut }
}

async function measure(
  variant: Variant,
  round: number,
  unetPath: string,
  feeds: Record<string, ort.Tensor>,
  runs: number,
): Promise<Measurement> {
  let start = performance.now()
  const session = await ort.InferenceSession.create(unetPath, variant.options)
  const createSeconds = (performance.now() - start) / 1000
  const size = officialOptions('base').image_size
  const output = new ort.Tensor('float32', new Float32Array(batch * 6 * size * size), [
    batch,
    6,
    size,
    size,
  ])
  const run = async () => {
    if (!variant.preallocatedOutput) return (await session.run(feeds)).out
    const result = await session.run(feeds, { out: output })
    return result.out
  }
  const first = await run()
  if (variant.preallocatedOutput && round === 1) {
    const given = output.data as Float32Array
    const returned = first?.data as Float32Array | undefined
    const writtenInPlace =
      returned !== undefined && given.some((value, i) => value !== 0 && value === returned[i])
    console.log(
      writtenInPlace
        ? `  (preallocated output: ORT wrote into the given tensor${returned.buffer === given.buffer ? '' : ' and returned a copy'})`
        : '  (preallocated output: the given tensor stayed empty; the binding allocated its own output)',
    )
  }
  const stepSeconds: number[] = []
  const cpuSeconds: number[] = []
  for (let index = 0; index < runs; index++) {
    const cpuBefore = process.cpuUsage()
    start = performance.now()
    await run()
    stepSeconds.push((performance.now() - start) / 1000)
    const cpu = process.cpuUsage(cpuBefore)
    cpuSeconds.push((cpu.user + cpu.system) / 1e6)
  }
  await session.release()
  return { variant: variant.name, round, createSeconds, stepSeconds, cpuSeconds }
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length
}

export async function runOrtOptions(
  options: { rounds?: number; runs?: number; only?: readonly string[] } = {},
): Promise<Measurement[]> {
  const rounds = options.rounds ?? 2
  const runs = options.runs ?? 2
  const threads = appIntraOpThreads()
  const { folder } = await ensureOfficialModel('base')
  const unetPath = join(folder, 'unet.onnx')
  const size = officialOptions('base').image_size
  const { xfProj, xfOut } = await textFeeds(folder)
  const feeds = {
    x: new ort.Tensor('float32', new SeededNoise(7).normal(batch * 3 * size * size), [
      batch,
      3,
      size,
      size,
    ]),
    timesteps: new ort.Tensor('int64', new BigInt64Array(batch).fill(500n), [batch]),
    xf_proj: xfProj,
    xf_out: xfOut,
  }
  const list = variants(threads).filter(
    (variant) => variant.name === 'app' || !options.only || options.only.includes(variant.name),
  )
  console.log(
    `\nORT session options, official base step (batch ${batch}), ${rounds} rounds × ${runs} timed runs, ` +
      `ORT ${ort.env.versions.common}, app threads ${threads}:`,
  )
  const results: Measurement[] = []
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? list : [...list].reverse()
    const roundResults: Measurement[] = []
    for (const variant of order)
      roundResults.push(await measure(variant, round, unetPath, feeds, runs))
    const app = roundResults.find((result) => result.variant === 'app')
    for (const result of roundResults) {
      const wall = mean(result.stepSeconds)
      const relative = app
        ? ` (${((wall / mean(app.stepSeconds) - 1) * 100).toFixed(1)} % vs app)`
        : ''
      console.log(
        `  round ${round} ${result.variant.padEnd(20)} ${wall.toFixed(2)} s/step${relative}, ` +
          `${mean(result.cpuSeconds).toFixed(2)} CPU-s/step, runs ${result.stepSeconds.map((s) => s.toFixed(2)).join(', ')}, ` +
          `session created in ${result.createSeconds.toFixed(1)} s`,
      )
    }
    results.push(...roundResults)
  }
  return results
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const value = (flag: string) => {
    const index = args.indexOf(flag)
    return index >= 0 ? args[index + 1] : undefined
  }
  const only = value('--variants')?.split(',')
  await runOrtOptions({
    rounds: Number(value('--rounds') ?? 2),
    runs: Number(value('--runs') ?? 2),
    ...(only ? { only } : {}),
  })
}
