import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'

import { attr, GraphBuilder } from '../../../../main/engine/onnx/graphBuilder'
import { encodeModel } from '../../../../main/engine/onnx/onnxProto'
import { Tape, type Shape, type Tensor } from '../../../../main/engine/onnx/reverseMode'

/**
 * Each backward rule of the tape, checked inside ONNX Runtime against central differences of the
 * same forward graph: the graph returns Σ seed·f(x) and the tape's gradient of it; the test nudges
 * single elements of x. The batch is 2 (the tape's symbolic first dimension).
 */
const batch = 2

function values(count: number, phase: number, scale = 1): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => Math.sin(i * 1.3 + phase) * scale)
}

function concrete(shape: Shape): number[] {
  return shape.map((dimension, index) =>
    index === 0 && dimension < 0 ? -dimension * batch : dimension,
  )
}

async function expectExactGradient(
  rest: number[],
  build: (tape: Tape, x: Tensor, g: GraphBuilder) => Tensor,
): Promise<void> {
  const g = new GraphBuilder('rule')
  const tape = new Tape(g)
  const x = tape.leaf(g.input('x', 'float', ['N', ...rest]), [-1, ...rest], true)
  const y = build(tape, x, g)
  const outShape = concrete(y.shape)
  const seed = g.floats(
    values(
      outShape.reduce((a, b) => a * b, 1),
      0.7,
    ),
    outShape,
  )
  const objective = g.op('ReduceSum', [g.mul(y.value, seed)], { keepdims: attr.int(0) })
  g.output(objective, 'objective', 'float', [])
  g.output(tape.gradient(y, seed, x), 'grad', 'float', ['N', ...rest])
  const session = await ort.InferenceSession.create(
    encodeModel({
      irVersion: 8,
      opsetVersion: 17,
      producerName: 'test',
      producerVersion: '1',
      graph: g.build([]),
    }),
    { logSeverityLevel: 3 },
  )
  const shape = [batch, ...rest]
  const size = shape.reduce((a, b) => a * b, 1)
  const input = values(size, 0.2)
  const run = (data: Float32Array) => session.run({ x: new ort.Tensor('float32', data, shape) })
  const objectiveAt = async (data: Float32Array) =>
    ((await run(data)).objective?.data as Float32Array)[0] ?? 0
  const grad = (await run(input)).grad?.data as Float32Array
  const largest = grad.reduce((max, value) => Math.max(max, Math.abs(value)), 0)
  expect(largest).toBeGreaterThan(0)
  const step = 1e-2
  for (const index of [0, 1, Math.floor(size / 3), Math.floor(size / 2) + 1, size - 1]) {
    const plus = Float32Array.from(input)
    const minus = Float32Array.from(input)
    plus[index] = (plus[index] ?? 0) + step
    minus[index] = (minus[index] ?? 0) - step
    const numeric = ((await objectiveAt(plus)) - (await objectiveAt(minus))) / (2 * step)
    expect(Math.abs(numeric - (grad[index] ?? 0)), `element ${index}`).toBeLessThan(
      2e-3 * Math.max(1, largest),
    )
  }
  await session.release()
}

describe('reverse mode over the graph builder', () => {
  it('add, sub, mul and div with broadcasting, on both operands', async () => {
    await expectExactGradient([3, 4], (tape, x, g) => {
      const row = tape.sumLast(x) // [N, 3, 1], broadcast back over the last axis
      const shifted = tape.sub(tape.mul(x, x), tape.constant(g.floats(values(4, 1), [4]), [4]))
      const positive = tape.add(tape.mul(x, x), tape.constant(g.scalar(1), []))
      return tape.div(tape.add(shifted, row), positive)
    })
  })

  it('matMul of two activations, linear with and without bias, reshape and transpose', async () => {
    await expectExactGradient([3, 4], (tape, x, g) => {
      const projected = tape.linear(x, g.floats(values(20, 2), [5, 4]), g.floats(values(5, 3)), 5)
      const keys = tape.linear(x, g.floats(values(20, 4), [5, 4]), null, 5)
      const scores = tape.matMul(projected, tape.transpose(keys, [0, 2, 1])) // [N, 3, 3]
      return tape.reshape(scores, [-9])
    })
  })

  it('layerNorm, softmax, gelu, sqrt', async () => {
    await expectExactGradient([3, 4], (tape, x, g) => {
      const normalized = tape.layerNorm(x, g.floats(values(4, 5)), g.floats(values(4, 6)), 1e-5)
      const activated = tape.gelu(tape.mul(normalized, tape.constant(g.scalar(1.7), [])))
      const weights = tape.softmax(activated)
      const squared = tape.add(tape.mul(x, x), tape.constant(g.scalar(0.5), []))
      return tape.add(weights, tape.sqrt(squared))
    })
  })

  it('concat with a constant, slice, and a value used twice', async () => {
    await expectExactGradient([2, 3], (tape, x, g) => {
      const token = tape.constant(g.floats(values(2 * 3, 7), [2, 1, 3]), [-1, 1, 3])
      const joined = tape.concat([token, x, x], 1) // [N, 5, 3]
      const first = tape.slice(joined, 1, 1, 3)
      return tape.mul(first, tape.slice(joined, 1, 3, 5))
    })
  })

  it('refuses to differentiate an output that does not depend on the input', () => {
    const g = new GraphBuilder('unrelated')
    const tape = new Tape(g)
    const x = tape.leaf(g.input('x', 'float', ['N', 2]), [-1, 2], true)
    const constant = tape.constant(g.floats([1, 2], [1, 2]), [1, 2])
    expect(() => tape.gradient(constant, g.floats([1, 1], [1, 2]), x)).toThrow(/does not depend/)
  })
})
