import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  encodeModel,
  type GraphSpec,
  type TensorSpec,
} from '../../../../main/engine/onnx/onnxProto'
import {
  activationQuantization,
  quantizableConvs,
  quantizeConv,
  quantizedConvGraph,
  quantizeWeightPerChannel,
  smoothedWeight,
  smoothingDivisors,
  statisticsProbeGraph,
  StatisticsRecorder,
  type ConvStatistics,
} from '../../../../main/engine/onnx/quantizeConvs'

/** A deterministic pseudo-random sequence in [-1, 1). */
function values(count: number, seed: number): Float32Array {
  let state = seed >>> 0
  return Float32Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 31 - 1
  })
}

function raw(data: Float32Array): { raw: Uint8Array } {
  return { raw: new Uint8Array(data.buffer.slice(0)) }
}

const channels = 8
const size = 6
const weightName = 'input_blocks.1.0.in_layers.2.weight'
const weight = values(channels * channels * 9, 3).map((value) => value * 0.2)
const bias = values(channels, 4)

/** x → Conv 3×3 (a quantisable one, by its name) → y, and the first conv of the U-Net, kept float. */
function convGraph(): GraphSpec {
  const conv = {
    kernel_shape: { kind: 'ints', value: [3, 3] },
    pads: { kind: 'ints', value: [1, 1, 1, 1] },
  } as const
  return {
    name: 'g',
    nodes: [
      {
        opType: 'Conv',
        name: 'first',
        inputs: ['x', 'input_blocks.0.0.weight'],
        outputs: ['h'],
        attributes: conv,
      },
      {
        opType: 'Conv',
        name: 'c',
        inputs: ['h', weightName, 'bias'],
        outputs: ['y'],
        attributes: conv,
      },
    ],
    initializers: [
      {
        name: 'input_blocks.0.0.weight',
        dataType: 'float',
        dims: [channels, channels, 3, 3],
        data: raw(values(channels * channels * 9, 9)),
      },
      { name: weightName, dataType: 'float', dims: [channels, channels, 3, 3], data: raw(weight) },
      { name: 'bias', dataType: 'float', dims: [channels], data: raw(bias) },
    ],
    inputs: [{ name: 'x', dataType: 'float', dims: [1, channels, size, size] }],
    outputs: [{ name: 'y', dataType: 'float', dims: [1, channels, size, size] }],
  }
}

function modelBytes(graph: GraphSpec): Uint8Array {
  return encodeModel({
    irVersion: 8,
    opsetVersion: 17,
    producerName: 't',
    producerVersion: '1',
    graph,
  })
}

/** An input whose channels differ in range tenfold, as SiLU outputs in GLIDE do. */
function input(seed: number): Float32Array {
  const plane = size * size
  return values(channels * plane, seed).map(
    (value, index) => value * (1 + 9 * (Math.floor(index / plane) % 2)),
  )
}

let workDir: string
beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'glide-quantize-'))
})
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true })
})

describe('quantizableConvs', () => {
  it('picks the ResBlock convolutions and leaves the first, the last, attention and skips in float', () => {
    const graph = convGraph()
    const names = (extra: string[]) => ({
      ...graph,
      nodes: [
        ...graph.nodes,
        ...extra.map((name, index) => ({
          opType: 'Conv',
          name: `e${index}`,
          inputs: ['y', name],
          outputs: [`e${index}`],
          attributes: {},
        })),
      ],
      initializers: [
        ...graph.initializers,
        ...extra.map((name): TensorSpec => ({
          name,
          dataType: 'float',
          dims: [1, channels, 1, 1],
          data: raw(new Float32Array(channels)),
        })),
      ],
    })
    const sites = quantizableConvs(
      names([
        'out.2.weight',
        'middle_block.1.qkv.weight',
        'middle_block.1.proj_out.weight',
        'output_blocks.0.0.skip_connection.weight',
        'output_blocks.0.0.out_layers.3.weight',
      ]),
    )
    expect(sites.map((site) => site.weight.name)).toEqual([
      weightName,
      'output_blocks.0.0.out_layers.3.weight',
    ])
  })
})

describe('the quantisation arithmetic', () => {
  it('covers the range and zero with 256 uint8 levels', () => {
    expect(activationQuantization(-0.28, 10)).toEqual({
      scale: Math.fround(10.28 / 255),
      zeroPoint: 7,
    })
    expect(activationQuantization(2, 5).zeroPoint).toBe(0)
    expect(activationQuantization(-4, -1)).toEqual({ scale: Math.fround(4 / 255), zeroPoint: 255 })
  })

  it('rounds each weight to within half a step of its channel scale', () => {
    const { values: quantized, scales } = quantizeWeightPerChannel(weight, channels)
    const perChannel = weight.length / channels
    weight.forEach((value, index) => {
      const scale = scales[Math.floor(index / perChannel)] ?? 0
      expect(Math.abs((quantized[index] ?? 0) * scale - value)).toBeLessThanOrEqual(
        scale / 2 + 1e-7,
      )
    })
    expect(Math.max(...Array.from(quantized, Math.abs))).toBe(127)
  })

  it('smooths without changing the convolution: (x / s) * (w · s) = x * w', () => {
    const statistics: ConvStatistics = {
      inputChannelMin: new Float32Array(channels).fill(-0.28),
      inputChannelMax: Float32Array.from(
        { length: channels },
        (_, channel) => 1 + 9 * (channel % 2),
      ),
      outputMin: -1,
      outputMax: 1,
    }
    const dims = [channels, channels, 3, 3]
    const divisors = smoothingDivisors(statistics, weight, dims)
    const smoothed = smoothedWeight(weight, dims, divisors)
    const x = input(5)
    const plane = size * size
    // One output value at the centre, by hand, both ways.
    const at = (w: Float32Array, scaleInput: (channel: number) => number) => {
      let sum = 0
      for (let c = 0; c < channels; c++)
        for (let k = 0; k < 9; k++) {
          const pixel = (2 + Math.floor(k / 3)) * size + 2 + (k % 3)
          sum += ((x[c * plane + pixel] ?? 0) / scaleInput(c)) * (w[c * 9 + k] ?? 0)
        }
      return sum
    }
    expect(at(smoothed, (c) => divisors[c] ?? 1)).toBeCloseTo(
      at(weight, () => 1),
      5,
    )
    // The wide channels are divided by more than the narrow ones.
    expect(divisors[1] ?? 0).toBeGreaterThan(divisors[0] ?? 0)
  })
})

describe('an 8-bit convolution in ONNX Runtime', () => {
  it('is calibrated by the probe graph, runs as QLinearConv and stays within 3 % of the float one', async () => {
    const graph = convGraph()
    const sites = quantizableConvs(graph)
    const probe = await ort.InferenceSession.create(modelBytes(statisticsProbeGraph(graph, sites)))
    const recorder = new StatisticsRecorder(sites)
    for (let seed = 10; seed < 16; seed++) {
      const outputs = await probe.run({
        x: new ort.Tensor('float32', input(seed), [1, channels, size, size]),
      })
      recorder.record((name) => outputs[name]?.data as Float32Array)
    }
    await probe.release()
    const [statistics] = recorder.result()
    const [site] = sites
    if (!statistics || !site) throw new Error('one site expected')
    const { values: int8, quantized } = quantizeConv(site, weight, statistics)
    const weightTensor: TensorSpec = {
      name: `${weightName}.int8`,
      dataType: 'int8',
      dims: site.weight.dims,
      data: { raw: new Uint8Array(int8.buffer.slice(0)) },
    }
    const optimizedPath = join(workDir, 'optimized.onnx')
    const int8Session = await ort.InferenceSession.create(
      modelBytes(quantizedConvGraph(graph, sites, [{ ...quantized, weight: weightTensor }])),
      { graphOptimizationLevel: 'all', optimizedModelFilePath: optimizedPath },
    )
    const floatSession = await ort.InferenceSession.create(modelBytes(graph))
    const feeds = { x: new ort.Tensor('float32', input(99), [1, channels, size, size]) }
    const expected = (await floatSession.run(feeds)).y?.data as Float32Array
    const actual = (await int8Session.run(feeds)).y?.data as Float32Array
    let error = 0
    let magnitude = 0
    expected.forEach((value, index) => {
      error += ((actual[index] ?? 0) - value) ** 2
      magnitude += value ** 2
    })
    expect(Math.sqrt(error / magnitude)).toBeLessThan(0.03)
    expect(Math.sqrt(error / magnitude)).toBeGreaterThan(0)
    expect((await readFile(optimizedPath)).includes('QLinearConv')).toBe(true)
    await int8Session.release()
    await floatSession.release()
  })
})
