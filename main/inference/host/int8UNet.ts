import { createHash } from 'node:crypto'
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import { applyPreset } from '../../../contract/generation'
import { GlideError } from '../../../contract/errors'
import type { GlideUNet } from '../../engine/glideModel'
import { isInpaintKind, isUpsampleKind } from '../../engine/glideOptions'
import { rgbaToTensor, type RgbaImage } from '../../engine/images/rgbaImage'
import { ExternalDataFile } from '../../engine/onnx/glideGraphs'
import { encodeModel, type TensorSpec } from '../../engine/onnx/onnxProto'
import { decodeModel } from '../../engine/onnx/onnxReader'
import {
  quantizableConvs,
  quantizeConv,
  quantizedConvGraph,
  statisticsProbeGraph,
  StatisticsRecorder,
  type ConvSite,
  type QuantizedConv,
} from '../../engine/onnx/quantizeConvs'
import {
  inpaint,
  inpaintSource,
  textToImage,
  upsampleStage,
  type GenerationParams,
  type PipelineHooks,
} from '../../engine/pipelines'
import { SeededNoise } from '../../engine/random/noise'
import { loadGlideUNet, type GlideUNetModelInfo } from './onnxGlideUNet'

/**
 * The 8-bit copy of a U-Net folder's unet.onnx (quantizeConvs.ts), made once per folder by
 * calibrating on a few fixed sampling runs and kept beside the float graph:
 *
 *   unet.int8.onnx        the graph; every weight it keeps in float still lives in unet.onnx.data
 *   unet.int8.onnx.data   the int8 convolution weights (about a quarter of the float weights)
 *   unet.int8.json        what it was made from, so a replaced unet.onnx is made again
 *
 * Only CPU sessions use it: GPU providers run the float graph.
 */

export const int8Files = {
  graph: 'unet.int8.onnx',
  data: 'unet.int8.onnx.data',
  stamp: 'unet.int8.json',
} as const

/** Bumped when the quantisation or its calibration changes, so older copies are made again. */
const int8FormatVersion = 1

const probeGraphName = '.unet.int8-probe.onnx'

/** Captions the base stages are calibrated on: photographs, paintings and GLIDE-mini's scenes. */
export const calibrationCaptions = [
  'an oil painting of a corgi',
  'a red car parked on a city street at night',
  'a red circle above a blue square on a white background',
  'two small green triangles and a yellow star on a black background',
] as const

interface Int8Stamp {
  version: number
  source: { file: string; graphSha256: string; dataBytes: number; dataSampleSha256: string }
}

/** Bytes hashed from each of 16 evenly spaced places in the weights file. */
const dataSampleBytes = 65536

/**
 * What the copy was made from: the float graph's hash, and the size and a sampled hash of its
 * weights (so a re-imported checkpoint of the same shape is noticed without reading 1.5 GB).
 * Content, not file times, so copies shipped in a repository or an installer stay valid.
 */
async function sourceIdentity(modelDir: string, info: GlideUNetModelInfo): Promise<Int8Stamp> {
  const file = info.files.unet ?? 'unet.onnx'
  const graphSha256 = createHash('sha256')
    .update(await readFile(join(modelDir, file)))
    .digest('hex')
  const sample = createHash('sha256')
  let dataBytes = 0
  const handle = await open(join(modelDir, `${file}.data`), 'r').catch(() => null)
  if (handle) {
    try {
      dataBytes = (await handle.stat()).size
      const chunk = Buffer.alloc(Math.min(dataSampleBytes, dataBytes))
      for (let index = 0; index < 16 && chunk.length > 0; index++) {
        const position = Math.floor(((dataBytes - chunk.length) * index) / 15)
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, position)
        sample.update(chunk.subarray(0, bytesRead))
      }
    } finally {
      await handle.close()
    }
  }
  return {
    version: int8FormatVersion,
    source: { file, graphSha256, dataBytes, dataSampleSha256: sample.digest('hex') },
  }
}

/** Whether the folder holds an 8-bit copy made from its current unet.onnx by this version. */
export async function hasInt8UNet(modelDir: string, info: GlideUNetModelInfo): Promise<boolean> {
  try {
    const stamp = JSON.parse(await readFile(join(modelDir, int8Files.stamp), 'utf8')) as Int8Stamp
    const current = await sourceIdentity(modelDir, info)
    if (JSON.stringify(stamp) !== JSON.stringify(current)) return false
    await stat(join(modelDir, int8Files.graph))
    await stat(join(modelDir, int8Files.data))
    return true
  } catch {
    return false
  }
}

/** The model info that loads the 8-bit graph instead of the float one. */
export function int8ModelInfo(info: GlideUNetModelInfo): GlideUNetModelInfo {
  return { ...info, files: { ...info.files, unet: int8Files.graph } }
}

/** A flat-coloured picture with a disc and a bar, varied by `index`, for upsampler calibration. */
export function calibrationPicture(size: number, index: number): RgbaImage {
  const data = new Uint8Array(size * size * 4)
  const palette = [
    [40, 90, 200],
    [230, 60, 50],
    [250, 250, 245],
    [20, 20, 25],
    [70, 170, 80],
    [240, 200, 40],
  ] as const
  const pick = (offset: number) => palette[(index + offset) % palette.length] ?? palette[0]
  const [background, disc, bar] = [pick(0), pick(1), pick(3)]
  const centre = size * (0.35 + 0.1 * (index % 3))
  const radius = size * (0.18 + 0.04 * (index % 2))
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const shade = 0.75 + (0.25 * y) / size
      let colour: readonly number[] = background.map((value) => value * shade)
      if ((x - centre) ** 2 + (y - centre) ** 2 < radius ** 2) colour = disc
      else if (y > size * 0.7 && y < size * 0.8 && x > size * 0.2) colour = bar
      const at = (y * size + x) * 4
      data.set([colour[0] ?? 0, colour[1] ?? 0, colour[2] ?? 0, 255], at)
    }
  }
  return { width: size, height: size, data }
}

/** Keep the left half (1), regenerate the right half (0). */
function halfMask(size: number): Float32Array {
  return Float32Array.from({ length: size * size }, (_, index) => (index % size < size / 2 ? 1 : 0))
}

/** Runs the calibration sampling: Fast's settings, guidance 3 (5 for inpainting), fixed seeds. */
async function runCalibration(
  unet: GlideUNet,
  onRun: (run: number, runs: number) => void,
  hooks: PipelineHooks,
): Promise<void> {
  const fast = applyPreset(
    { baseRespacing: '', upsampleRespacing: '', upsampleTemperature: 0.997 } as Pick<
      GenerationParams,
      'baseRespacing' | 'upsampleRespacing' | 'upsampleTemperature'
    > &
      Partial<GenerationParams>,
    'fast',
    'guided',
  )
  const inpaints = isInpaintKind(unet.kind)
  const runs = calibrationCaptions.length * (inpaints ? 2 : 1)
  let run = 0
  const params = (prompt: string, seed: number, guidanceScale: number): GenerationParams => ({
    ...fast,
    prompt,
    batchSize: 1,
    guidanceScale,
    seed,
  })
  for (const [index, prompt] of calibrationCaptions.entries()) {
    onRun(run++, runs)
    if (isUpsampleKind(unet.kind)) {
      const lowSize = unet.options.image_size / 4
      const picture = calibrationPicture(lowSize, index)
      const samples = rgbaToTensor(picture)
      const stage = (source?: ReturnType<typeof inpaintSource>) =>
        upsampleStage(unet, params(prompt, 7000 + index, 3), hooks, {
          samples,
          rows: 1,
          baseSize: lowSize,
          sampler: fast.upsampleSampler ?? 'ddim',
          source,
          noise: new SeededNoise(7000 + index),
        })
      await stage()
      if (inpaints) {
        onRun(run++, runs)
        const full = unet.options.image_size
        await stage(
          inpaintSource(calibrationPicture(full, index + 1), halfMask(full), 'calibration'),
        )
      }
      continue
    }
    await textToImage({ base: unet }, params(prompt, 7000 + index, 3), hooks)
    if (inpaints) {
      onRun(run++, runs)
      const size = unet.options.image_size * 4
      await inpaint(
        { base: unet },
        {
          ...params(prompt, 8000 + index, 5),
          image: calibrationPicture(size, index + 2),
          keepMask: halfMask(size),
        },
        hooks,
      )
    }
  }
  onRun(runs, runs)
}

async function readFloatWeight(modelDir: string, site: ConvSite): Promise<Float32Array> {
  if (!('external' in site.weight.data)) {
    const raw = site.weight.data.raw
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))
  }
  const { location, offset, length } = site.weight.data.external
  const handle = await open(join(modelDir, location), 'r')
  try {
    const bytes = Buffer.alloc(length)
    const { bytesRead } = await handle.read(bytes, 0, length, offset)
    if (bytesRead !== length) {
      throw new GlideError('MODEL_INVALID', `${location} ends inside ${site.weight.name}.`)
    }
    return new Float32Array(bytes.buffer, bytes.byteOffset, length / 4)
  } finally {
    await handle.close()
  }
}

export interface BuildInt8Options {
  intraOpNumThreads?: number
  /** Called before each calibration run and once at the end (run = runs). */
  onProgress?: (run: number, runs: number) => void
  /** Checked at every calibration step: true stops it with CANCELLED, and nothing is written. */
  isCancelled?: () => boolean
}

/**
 * Calibrates the folder's float U-Net on CPU and writes its 8-bit copy (int8Files), each file
 * whole or not at all. Throws when the folder cannot be written; the float model stays usable.
 */
export async function buildInt8UNet(
  modelDir: string,
  info: GlideUNetModelInfo,
  options: BuildInt8Options = {},
): Promise<void> {
  const unetFile = info.files.unet ?? 'unet.onnx'
  const model = decodeModel(await readFile(join(modelDir, unetFile)))
  const sites = quantizableConvs(model.graph)
  if (sites.length === 0) {
    throw new GlideError('MODEL_INVALID', `${info.id} has no convolution to quantise.`)
  }
  const probePath = join(modelDir, probeGraphName)
  const partial = (name: string) => join(modelDir, `${name}.partial`)
  const recorder = new StatisticsRecorder(sites)
  let dataFile: ExternalDataFile | undefined
  try {
    await writeFile(
      probePath,
      encodeModel({ ...model, graph: statisticsProbeGraph(model.graph, sites) }),
    )
    const probe = await loadGlideUNet(modelDir, {
      model: { ...info, files: { ...info.files, unet: probeGraphName } },
      executionProvider: 'cpu',
      ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
      onUNetOutputs: (read) => recorder.record(read),
    })
    try {
      await runCalibration(
        probe,
        options.onProgress ?? (() => undefined),
        options.isCancelled ? { isCancelled: options.isCancelled } : {},
      )
    } finally {
      await probe.dispose()
    }
    const statistics = recorder.result()

    dataFile = await ExternalDataFile.create(partial(int8Files.data))
    const quantized: QuantizedConv[] = []
    for (const [index, site] of sites.entries()) {
      const siteStatistics = statistics[index]
      if (!siteStatistics) throw new Error('unreachable: one statistics entry per site')
      const { values, quantized: numbers } = quantizeConv(
        site,
        await readFloatWeight(modelDir, site),
        siteStatistics,
      )
      const { offset, length } = await dataFile.append(values)
      const weight: TensorSpec = {
        name: `${site.weight.name}.int8`,
        dataType: 'int8',
        dims: site.weight.dims,
        data: { external: { location: int8Files.data, offset, length } },
      }
      quantized.push({ ...numbers, weight })
    }
    await dataFile.close()
    dataFile = undefined
    await writeFile(
      partial(int8Files.graph),
      encodeModel({ ...model, graph: quantizedConvGraph(model.graph, sites, quantized) }),
    )
    await rename(partial(int8Files.data), join(modelDir, int8Files.data))
    await rename(partial(int8Files.graph), join(modelDir, int8Files.graph))
    await writeFile(
      join(modelDir, int8Files.stamp),
      `${JSON.stringify(await sourceIdentity(modelDir, info))}\n`,
    )
  } catch (error) {
    await dataFile?.close().catch(() => undefined)
    await rm(partial(int8Files.data), { force: true })
    await rm(partial(int8Files.graph), { force: true })
    throw error
  } finally {
    await rm(probePath, { force: true })
  }
}
