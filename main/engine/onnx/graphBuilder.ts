import type {
  AttributeValue,
  Dimension,
  GraphSpec,
  NodeSpec,
  TensorDataTypeName,
  TensorSpec,
  ValueInfoSpec,
} from './onnxProto'

/** A named value flowing through the graph (an input, an initializer or a node output). */
export interface Value {
  readonly name: string
}

export const attr = {
  int: (value: number): AttributeValue => ({ kind: 'int', value }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
  ints: (value: readonly number[]): AttributeValue => ({ kind: 'ints', value }),
  floats: (value: readonly number[]): AttributeValue => ({ kind: 'floats', value }),
}

/** A weight whose bytes come later, from an external data file, when the graph is written. */
export interface ExternalWeight {
  name: string
  dims: readonly number[]
}

function littleEndianBytes(data: Float32Array | BigInt64Array | Uint8Array): Uint8Array {
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
}

/**
 * Builds one ONNX graph: named inputs and outputs, small constants stored inline, weights stored
 * externally, and op helpers that return the output value.
 */
export class GraphBuilder {
  private readonly nodes: NodeSpec[] = []
  private readonly inlineTensors: TensorSpec[] = []
  private readonly externalWeights: ExternalWeight[] = []
  private readonly inputs: ValueInfoSpec[] = []
  private readonly outputs: ValueInfoSpec[] = []
  private readonly constantCache = new Map<string, Value>()
  private counter = 0

  constructor(readonly name: string) {}

  private fresh(hint: string): string {
    this.counter += 1
    return `${hint}_${this.counter}`
  }

  input(name: string, dataType: TensorDataTypeName, dims: readonly Dimension[]): Value {
    this.inputs.push({ name, dataType, dims })
    return { name }
  }

  /** Declares a graph output; the value is renamed through an Identity that ORT removes. */
  output(
    value: Value,
    name: string,
    dataType: TensorDataTypeName,
    dims: readonly Dimension[],
  ): void {
    this.nodes.push({
      opType: 'Identity',
      name: this.fresh('output'),
      inputs: [value.name],
      outputs: [name],
      attributes: {},
    })
    this.outputs.push({ name, dataType, dims })
  }

  weight(name: string, dims: readonly number[]): Value {
    this.externalWeights.push({ name, dims })
    return { name }
  }

  private inlineConstant(
    key: string,
    dataType: TensorDataTypeName,
    dims: readonly number[],
    data: Float32Array | BigInt64Array | Uint8Array,
  ): Value {
    const cached = this.constantCache.get(key)
    if (cached) return cached
    const name = this.fresh('const')
    this.inlineTensors.push({ name, dataType, dims, data: { raw: littleEndianBytes(data) } })
    const value = { name }
    this.constantCache.set(key, value)
    return value
  }

  floats(values: ArrayLike<number>, dims: readonly number[] = [values.length]): Value {
    const data = Float32Array.from(values)
    const key = `f:${dims.join('x')}:${Array.from(data).join(',')}`
    return this.inlineConstant(key, 'float', dims, data)
  }

  scalar(value: number): Value {
    return this.floats([value], [])
  }

  int64s(values: readonly number[], dims: readonly number[] = [values.length]): Value {
    const key = `i:${dims.join('x')}:${values.join(',')}`
    return this.inlineConstant(key, 'int64', dims, BigInt64Array.from(values.map(BigInt)))
  }

  node(
    opType: string,
    inputs: readonly (Value | null)[],
    attributes: Record<string, AttributeValue> = {},
    outputCount = 1,
  ): Value[] {
    const name = this.fresh(opType)
    const outputs = Array.from({ length: outputCount }, (_, index) => `${name}_out${index}`)
    this.nodes.push({
      opType,
      name,
      inputs: inputs.map((input) => (input ? input.name : '')),
      outputs,
      attributes,
    })
    return outputs.map((output) => ({ name: output }))
  }

  op(
    opType: string,
    inputs: readonly (Value | null)[],
    attributes: Record<string, AttributeValue> = {},
  ): Value {
    const [output] = this.node(opType, inputs, attributes, 1)
    if (!output) throw new Error('unreachable: a node with one output')
    return output
  }

  add(a: Value, b: Value): Value {
    return this.op('Add', [a, b])
  }

  mul(a: Value, b: Value): Value {
    return this.op('Mul', [a, b])
  }

  matMul(a: Value, b: Value): Value {
    return this.op('MatMul', [a, b])
  }

  reshape(x: Value, shape: readonly number[]): Value {
    return this.op('Reshape', [x, this.int64s(shape)])
  }

  transpose(x: Value, perm: readonly number[]): Value {
    return this.op('Transpose', [x], { perm: attr.ints(perm) })
  }

  concat(values: readonly Value[], axis: number): Value {
    return this.op('Concat', values, { axis: attr.int(axis) })
  }

  squeeze(x: Value, axes: readonly number[]): Value {
    return this.op('Squeeze', [x, this.int64s(axes)])
  }

  unsqueeze(x: Value, axes: readonly number[]): Value {
    return this.op('Unsqueeze', [x, this.int64s(axes)])
  }

  /** Splits along an axis into equal parts, or into the given sizes. */
  split(x: Value, axis: number, sizes: readonly number[]): Value[] {
    return this.node('Split', [x, this.int64s(sizes)], { axis: attr.int(axis) }, sizes.length)
  }

  silu(x: Value): Value {
    return this.mul(x, this.op('Sigmoid', [x]))
  }

  softmax(x: Value, axis: number): Value {
    return this.op('Softmax', [x], { axis: attr.int(axis) })
  }

  /** y = x·Wᵀ + b for a 2-D x and a PyTorch Linear weight [out, in]. */
  linear(x: Value, weight: Value, bias: Value): Value {
    return this.op('Gemm', [x, weight, bias], { transB: attr.int(1) })
  }

  conv(
    x: Value,
    weight: Value,
    bias: Value,
    options: { kernel: number; stride?: number; padding?: number },
  ): Value {
    const padding = options.padding ?? 0
    const stride = options.stride ?? 1
    return this.op('Conv', [x, weight, bias], {
      kernel_shape: attr.ints([options.kernel, options.kernel]),
      pads: attr.ints([padding, padding, padding, padding]),
      strides: attr.ints([stride, stride]),
    })
  }

  /** The external weights in declaration order. */
  weights(): readonly ExternalWeight[] {
    return this.externalWeights
  }

  /** The finished graph, given where each external weight landed. */
  build(externalTensors: readonly TensorSpec[]): GraphSpec {
    return {
      name: this.name,
      nodes: this.nodes,
      initializers: [...this.inlineTensors, ...externalTensors],
      inputs: this.inputs,
      outputs: this.outputs,
    }
  }
}
