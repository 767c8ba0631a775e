import { ProtoWriter } from './protobuf'

/**
 * The subset of onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
 * ValueInfoProto) that the GLIDE graphs use, with the field numbers of onnx/onnx.proto3.
 */

export const TensorDataType = {
  float: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
} as const
export type TensorDataTypeName = keyof typeof TensorDataType

export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }

export interface NodeSpec {
  opType: string
  name: string
  inputs: readonly string[]
  outputs: readonly string[]
  attributes: Readonly<Record<string, AttributeValue>>
  domain?: string
}

export interface ExternalDataRef {
  location: string
  offset: number
  length: number
}

export interface TensorSpec {
  name: string
  dataType: TensorDataTypeName
  dims: readonly number[]
  /** Little-endian raw bytes stored inside the model, or a reference into an external data file. */
  data: { raw: Uint8Array } | { external: ExternalDataRef }
}

/** A dimension is a fixed size or a symbolic name (a dynamic axis). */
export type Dimension = number | string

export interface ValueInfoSpec {
  name: string
  dataType: TensorDataTypeName
  dims: readonly Dimension[]
}

export interface GraphSpec {
  name: string
  nodes: readonly NodeSpec[]
  initializers: readonly TensorSpec[]
  inputs: readonly ValueInfoSpec[]
  outputs: readonly ValueInfoSpec[]
}

export interface ModelSpec {
  irVersion: number
  opsetVersion: number
  producerName: string
  producerVersion: string
  graph: GraphSpec
}

const attributeType = { float: 1, int: 2, string: 3, floats: 6, ints: 7 } as const

function writeAttribute(writer: ProtoWriter, name: string, attribute: AttributeValue): void {
  writer.string(1, name)
  switch (attribute.kind) {
    case 'float':
      writer.float(2, attribute.value)
      break
    case 'int':
      writer.int(3, attribute.value)
      break
    case 'string':
      writer.string(4, attribute.value)
      break
    case 'floats':
      writer.packedFloats(7, attribute.value)
      break
    case 'ints':
      writer.packedInts(8, attribute.value)
      break
  }
  writer.int(20, attributeType[attribute.kind])
}

function writeNode(writer: ProtoWriter, node: NodeSpec): void {
  for (const input of node.inputs) writer.string(1, input)
  for (const output of node.outputs) writer.string(2, output)
  writer.string(3, node.name)
  writer.string(4, node.opType)
  for (const [name, attribute] of Object.entries(node.attributes)) {
    writer.message(5, (nested) => writeAttribute(nested, name, attribute))
  }
  if (node.domain) writer.string(7, node.domain)
}

function writeTensor(writer: ProtoWriter, tensor: TensorSpec): void {
  if (tensor.dims.length > 0) writer.packedInts(1, tensor.dims)
  writer.int(2, TensorDataType[tensor.dataType])
  writer.string(8, tensor.name)
  if ('raw' in tensor.data) {
    writer.bytes(9, tensor.data.raw)
    return
  }
  const { location, offset, length } = tensor.data.external
  const entries: [string, string][] = [
    ['location', location],
    ['offset', String(offset)],
    ['length', String(length)],
  ]
  for (const [key, value] of entries) {
    writer.message(13, (entry) => {
      entry.string(1, key)
      entry.string(2, value)
    })
  }
  writer.int(14, 1)
}

function writeValueInfo(writer: ProtoWriter, info: ValueInfoSpec): void {
  writer.string(1, info.name)
  writer.message(2, (type) => {
    type.message(1, (tensorType) => {
      tensorType.int(1, TensorDataType[info.dataType])
      tensorType.message(2, (shape) => {
        for (const dim of info.dims) {
          shape.message(1, (dimension) => {
            if (typeof dim === 'number') dimension.int(1, dim)
            else dimension.string(2, dim)
          })
        }
      })
    })
  })
}

function writeGraph(writer: ProtoWriter, graph: GraphSpec): void {
  for (const node of graph.nodes) writer.message(1, (nested) => writeNode(nested, node))
  writer.string(2, graph.name)
  for (const tensor of graph.initializers)
    writer.message(5, (nested) => writeTensor(nested, tensor))
  for (const input of graph.inputs) writer.message(11, (nested) => writeValueInfo(nested, input))
  for (const output of graph.outputs) writer.message(12, (nested) => writeValueInfo(nested, output))
}

export function encodeModel(model: ModelSpec): Uint8Array {
  const writer = new ProtoWriter()
  writer.int(1, model.irVersion)
  writer.string(2, model.producerName)
  writer.string(3, model.producerVersion)
  writer.message(7, (nested) => writeGraph(nested, model.graph))
  writer.message(8, (opset) => {
    opset.string(1, '')
    opset.int(2, model.opsetVersion)
  })
  return writer.finish()
}
