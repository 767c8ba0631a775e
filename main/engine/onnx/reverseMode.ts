import { attr, type GraphBuilder, type Value } from './graphBuilder'

/**
 * Reverse-mode differentiation over the graph builder's own ops. Forward ops are written through a
 * Tape, which emits the ONNX nodes and records, for each node, its inputs, its static shape and a
 * rule that emits the node's vector–Jacobian product as further ONNX nodes. `gradient` walks the
 * record backwards from a seed, so the backward pass is an ordinary part of the same ONNX graph and
 * runs on whatever execution provider runs the forward pass.
 *
 * Shapes are static except the batch: a negative first dimension −k stands for N·k (so [−1, L, C]
 * is [N, L, C] and [−L, C] is the same tensor with the batch folded into its rows). Only values
 * that depend on a differentiable input carry gradients; weights and constants never do.
 */

export type Shape = readonly number[]

export interface Tensor {
  readonly value: Value
  readonly shape: Shape
  /** Whether the tensor depends on a differentiable input. */
  readonly differentiable: boolean
}

interface TapeEntry {
  inputs: readonly Tensor[]
  output: Tensor
  /** The gradient of each input given the output's gradient; null where not needed. */
  backward: (gradient: Value) => readonly (Value | null)[]
}

function onnxShape(shape: Shape): number[] {
  return shape.map((dimension) => (dimension < 0 ? -1 : dimension))
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((dimension, index) => dimension === b[index])
}

function elementCount(shape: Shape): number {
  return shape.reduce((product, dimension) => product * Math.abs(dimension), 1)
}

/** NumPy broadcasting of two static shapes; the symbolic batch broadcasts only against itself. */
function broadcastShapes(a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length)
  const result: number[] = []
  for (let index = 0; index < rank; index++) {
    const da = a[a.length - rank + index] ?? 1
    const db = b[b.length - rank + index] ?? 1
    if (da === db || db === 1) result.push(da)
    else if (da === 1) result.push(db)
    else throw new Error(`cannot broadcast [${a.join(', ')}] with [${b.join(', ')}]`)
  }
  return result
}

export class Tape {
  private readonly entries: TapeEntry[] = []

  constructor(readonly g: GraphBuilder) {}

  /** A graph input (or any value) entering the tape. */
  leaf(value: Value, shape: Shape, differentiable: boolean): Tensor {
    return { value, shape, differentiable }
  }

  private record(
    value: Value,
    shape: Shape,
    inputs: readonly Tensor[],
    backward: TapeEntry['backward'],
  ): Tensor {
    const output = { value, shape, differentiable: inputs.some((input) => input.differentiable) }
    if (output.differentiable) this.entries.push({ inputs, output, backward })
    return output
  }

  /** Sums a broadcast gradient back down to the shape of the operand that was broadcast. */
  private unbroadcast(gradient: Value, from: Shape, to: Shape): Value {
    if (sameShape(from, to)) return gradient
    const offset = from.length - to.length
    const axes: number[] = []
    from.forEach((dimension, index) => {
      const target = index < offset ? undefined : to[index - offset]
      if (target === undefined || (target === 1 && dimension !== 1)) axes.push(index)
      else if (target !== dimension) throw new Error('unreachable: shapes do not broadcast')
    })
    const g = this.g
    const summed =
      axes.length === 0
        ? gradient
        : g.op('ReduceSum', [gradient, g.int64s(axes)], { keepdims: attr.int(1) })
    return offset === 0 ? summed : g.reshape(summed, onnxShape(to))
  }

  private elementwise(
    opType: 'Add' | 'Sub' | 'Mul' | 'Div',
    a: Tensor,
    b: Tensor,
    rule: (gradient: Value, output: Value) => [Value | null, Value | null],
  ): Tensor {
    const shape = broadcastShapes(a.shape, b.shape)
    const value = this.g.op(opType, [a.value, b.value])
    return this.record(value, shape, [a, b], (gradient) => {
      const [ga, gb] = rule(gradient, value)
      return [
        ga && a.differentiable ? this.unbroadcast(ga, shape, a.shape) : null,
        gb && b.differentiable ? this.unbroadcast(gb, shape, b.shape) : null,
      ]
    })
  }

  add(a: Tensor, b: Tensor): Tensor {
    return this.elementwise('Add', a, b, (gradient) => [gradient, gradient])
  }

  sub(a: Tensor, b: Tensor): Tensor {
    return this.elementwise('Sub', a, b, (gradient) => [
      gradient,
      b.differentiable ? this.g.op('Neg', [gradient]) : null,
    ])
  }

  mul(a: Tensor, b: Tensor): Tensor {
    return this.elementwise('Mul', a, b, (gradient) => [
      a.differentiable ? this.g.mul(gradient, b.value) : null,
      b.differentiable ? this.g.mul(gradient, a.value) : null,
    ])
  }

  div(a: Tensor, b: Tensor): Tensor {
    return this.elementwise('Div', a, b, (gradient, quotient) => [
      a.differentiable ? this.g.op('Div', [gradient, b.value]) : null,
      b.differentiable
        ? this.g.op('Neg', [this.g.op('Div', [this.g.mul(gradient, quotient), b.value])])
        : null,
    ])
  }

  /** A constant tensor (a weight or an inline constant) of a known shape. */
  constant(value: Value, shape: Shape): Tensor {
    return { value, shape, differentiable: false }
  }

  reshape(x: Tensor, shape: Shape): Tensor {
    const batchedBefore = (x.shape[0] ?? 0) < 0
    const batchedAfter = (shape[0] ?? 0) < 0
    if (elementCount(shape) !== elementCount(x.shape) || batchedBefore !== batchedAfter) {
      throw new Error(`cannot reshape [${x.shape.join(', ')}] to [${shape.join(', ')}]`)
    }
    const value = this.g.reshape(x.value, onnxShape(shape))
    return this.record(value, shape, [x], (gradient) => [
      this.g.reshape(gradient, onnxShape(x.shape)),
    ])
  }

  transpose(x: Tensor, perm: readonly number[]): Tensor {
    if ((x.shape[0] ?? 0) < 0 && perm[0] !== 0) throw new Error('the batch must stay first')
    const shape = perm.map((axis) => x.shape[axis] ?? 0)
    const inverse = new Array<number>(perm.length)
    perm.forEach((axis, index) => (inverse[axis] = index))
    const value = this.g.transpose(x.value, perm)
    return this.record(value, shape, [x], (gradient) => [this.g.transpose(gradient, inverse)])
  }

  concat(parts: readonly Tensor[], axis: number): Tensor {
    const first = parts[0]
    if (!first) throw new Error('concat of nothing')
    const rank = first.shape.length
    const at = axis < 0 ? axis + rank : axis
    const sizes = parts.map((part) => part.shape[at] ?? 0)
    const shape = first.shape.map((dimension, index) =>
      index === at ? sizes.reduce((sum, size) => sum + size, 0) : dimension,
    )
    const value = this.g.concat(
      parts.map((part) => part.value),
      at,
    )
    return this.record(value, shape, parts, (gradient) => {
      const pieces = this.g.split(gradient, at, sizes)
      return parts.map((part, index) => (part.differentiable ? (pieces[index] ?? null) : null))
    })
  }

  /** x[..., start:end, ...] along one (static) axis. */
  slice(x: Tensor, axis: number, start: number, end: number): Tensor {
    const g = this.g
    const size = x.shape[axis] ?? 0
    const shape = x.shape.map((dimension, index) => (index === axis ? end - start : dimension))
    const value = g.op('Slice', [x.value, g.int64s([start]), g.int64s([end]), g.int64s([axis])])
    return this.record(value, shape, [x], (gradient) => {
      const pads = new Array<number>(2 * x.shape.length).fill(0)
      pads[axis] = start
      pads[x.shape.length + axis] = size - end
      return [g.op('Pad', [gradient, g.int64s(pads)])]
    })
  }

  /** a @ b, batched over equal leading dimensions, or with b a plain matrix. */
  matMul(a: Tensor, b: Tensor): Tensor {
    const g = this.g
    const rank = a.shape.length
    if (b.shape.length !== rank && (b.shape.length !== 2 || b.differentiable)) {
      throw new Error('matMul: b must match a in rank, or be a constant matrix')
    }
    const shape = [...a.shape.slice(0, -1), b.shape[b.shape.length - 1] ?? 0]
    const swapLast = (r: number): number[] => [
      ...Array.from({ length: r - 2 }, (_, i) => i),
      r - 1,
      r - 2,
    ]
    const value = g.matMul(a.value, b.value)
    return this.record(value, shape, [a, b], (gradient) => [
      a.differentiable ? g.matMul(gradient, g.transpose(b.value, swapLast(b.shape.length))) : null,
      b.differentiable ? g.matMul(g.transpose(a.value, swapLast(rank)), gradient) : null,
    ])
  }

  /**
   * x·Wᵀ + b over the last axis, for a PyTorch-layout weight [out, in] (and optional bias [out]):
   * one Gemm over the rows, which also gives the backward x-gradient (g·W) without a transposed
   * copy of the weight.
   */
  linear(x: Tensor, weight: Value, bias: Value | null, outFeatures: number): Tensor {
    const g = this.g
    const inFeatures = x.shape[x.shape.length - 1] ?? 0
    const rows = x.shape.slice(0, -1).reduce((product, dimension) => product * dimension, 1)
    const flat = x.shape.length === 2 ? x : this.reshape(x, [rows, inFeatures])
    const product = g.op('Gemm', bias ? [flat.value, weight, bias] : [flat.value, weight], {
      transB: attr.int(1),
    })
    const projected = this.record(product, [rows, outFeatures], [flat], (gradient) => [
      g.op('Gemm', [gradient, weight]),
    ])
    return x.shape.length === 2
      ? projected
      : this.reshape(projected, [...x.shape.slice(0, -1), outFeatures])
  }

  /**
   * LayerNorm over the last axis: ONNX LayerNormalization forward. The backward recomputes the
   * mean and 1/σ from plain ops rather than reading LayerNormalization's optional outputs, which
   * not every execution provider produces.
   */
  layerNorm(x: Tensor, gain: Value, bias: Value, epsilon: number): Tensor {
    const g = this.g
    const value = g.op('LayerNormalization', [x.value, gain, bias], {
      axis: attr.int(-1),
      epsilon: attr.float(epsilon),
    })
    return this.record(value, x.shape, [x], (gradient) => {
      const meanLast = (v: Value): Value =>
        g.op('ReduceMean', [v], { axes: attr.ints([-1]), keepdims: attr.int(1) })
      const deviation = g.op('Sub', [x.value, meanLast(x.value)])
      const inverseStd = g.op('Reciprocal', [
        g.op('Sqrt', [g.add(meanLast(g.mul(deviation, deviation)), g.scalar(epsilon))]),
      ])
      // dx = σ⁻¹ · (ĝ − mean(ĝ) − x̂ · mean(ĝ · x̂)), with ĝ = g · gain and x̂ the normalised x.
      const normalized = g.mul(deviation, inverseStd)
      const scaled = g.mul(gradient, gain)
      const centred = g.op('Sub', [scaled, meanLast(scaled)])
      const projected = g.mul(normalized, meanLast(g.mul(scaled, normalized)))
      return [g.mul(g.op('Sub', [centred, projected]), inverseStd)]
    })
  }

  softmax(x: Tensor): Tensor {
    const g = this.g
    const value = g.softmax(x.value, -1)
    return this.record(value, x.shape, [x], (gradient) => {
      const dot = g.op('ReduceSum', [g.mul(gradient, value), g.int64s([-1])], {
        keepdims: attr.int(1),
      })
      return [g.mul(value, g.op('Sub', [gradient, dot]))]
    })
  }

  /** PyTorch's exact GELU, x·Φ(x). */
  gelu(x: Tensor): Tensor {
    const g = this.g
    const cdf = g.mul(
      g.add(g.op('Erf', [g.op('Div', [x.value, g.scalar(Math.SQRT2)])]), g.scalar(1)),
      g.scalar(0.5),
    )
    const value = g.mul(x.value, cdf)
    return this.record(value, x.shape, [x], (gradient) => {
      // d/dx x·Φ(x) = Φ(x) + x·φ(x), φ(x) = exp(−x²/2)/√(2π)
      const density = g.mul(
        g.op('Exp', [g.mul(g.mul(x.value, x.value), g.scalar(-0.5))]),
        g.scalar(1 / Math.sqrt(2 * Math.PI)),
      )
      return [g.mul(gradient, g.add(cdf, g.mul(x.value, density)))]
    })
  }

  sqrt(x: Tensor): Tensor {
    const g = this.g
    const value = g.op('Sqrt', [x.value])
    return this.record(value, x.shape, [x], (gradient) => [
      g.op('Div', [g.mul(gradient, g.scalar(0.5)), value]),
    ])
  }

  /** Sum over one axis, keeping it. */
  sumLast(x: Tensor): Tensor {
    const g = this.g
    const value = g.op('ReduceSum', [x.value, g.int64s([-1])], { keepdims: attr.int(1) })
    const shape = [...x.shape.slice(0, -1), 1]
    return this.record(value, shape, [x], (gradient) => [
      g.op('Expand', [gradient, g.op('Shape', [x.value])]),
    ])
  }

  /**
   * The gradient with respect to `wrt` of Σ seed ⊙ `output` (a vector–Jacobian product), emitted as
   * ONNX nodes. `wrt` must be a differentiable leaf the output depends on.
   */
  gradient(output: Tensor, seed: Value, wrt: Tensor): Value {
    const gradients = new Map<string, Value>()
    gradients.set(output.value.name, seed)
    for (let index = this.entries.length - 1; index >= 0; index--) {
      const entry = this.entries[index]
      if (!entry) continue
      const gradient = gradients.get(entry.output.value.name)
      if (!gradient) continue
      const inputGradients = entry.backward(gradient)
      entry.inputs.forEach((input, position) => {
        const contribution = inputGradients[position]
        if (!input.differentiable || !contribution) return
        const previous = gradients.get(input.value.name)
        gradients.set(
          input.value.name,
          previous ? this.g.add(previous, contribution) : contribution,
        )
      })
    }
    const result = gradients.get(wrt.value.name)
    if (!result) throw new Error('the output does not depend on the differentiated input')
    return result
  }
}
