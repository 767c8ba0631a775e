import { GlideError } from '../../../contract/errors'
import {
  TensorDataType,
  type AttributeValue,
  type Dimension,
  type GraphSpec,
  type ModelSpec,
  type NodeSpec,
  type TensorDataTypeName,
  type TensorSpec,
  type ValueInfoSpec,
} from './onnxProto'

/**
 * Reads back the subset of onnx.proto that onnxProto.ts writes (the graphs this app builds), so a
 * model folder's graph can be rewritten (quantizeConvs.ts). Fields outside that subset are skipped;
 * a truncated or malformed message throws MODEL_INVALID.
 */

const textDecoder = new TextDecoder()

class ProtoReader {
  private position = 0

  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.position >= this.bytes.length
  }

  private fail(): never {
    throw new GlideError('MODEL_INVALID', 'The ONNX file is truncated or malformed.')
  }

  varint(): bigint {
    let result = 0n
    let shift = 0n
    for (;;) {
      if (this.position >= this.bytes.length || shift > 63n) this.fail()
      const byte = this.bytes[this.position++] ?? 0
      result |= BigInt(byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return result
      shift += 7n
    }
  }

  int(): number {
    return Number(BigInt.asIntN(64, this.varint()))
  }

  tag(): { field: number; wireType: number } {
    const key = Number(this.varint())
    return { field: key >>> 3, wireType: key & 7 }
  }

  bytesField(): Uint8Array {
    const length = Number(this.varint())
    const end = this.position + length
    if (end > this.bytes.length) this.fail()
    const slice = this.bytes.subarray(this.position, end)
    this.position = end
    return slice
  }

  string(): string {
    return textDecoder.decode(this.bytesField())
  }

  float(): number {
    if (this.position + 4 > this.bytes.length) this.fail()
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.position, 4)
    this.position += 4
    return view.getFloat32(0, true)
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint()
        return
      case 1:
        this.position += 8
        break
      case 2:
        this.bytesField()
        return
      case 5:
        this.position += 4
        break
      default:
        this.fail()
    }
    if (this.position > this.bytes.length) this.fail()
  }

  /** Calls `onField` for every field of this message; it must consume the field or return false. */
  fields(onField: (field: number, wireType: number) => boolean): void {
    while (!this.done) {
      const { field, wireType } = this.tag()
      if (!onField(field, wireType)) this.skip(wireType)
    }
  }
}

/** A repeated numeric field, packed (wire type 2) or one value per tag, read with `read`. */
function packedOrSingle(
  reader: ProtoReader,
  wireType: number,
  into: number[],
  read: (from: ProtoReader) => number,
): void {
  if (wireType !== 2) {
    into.push(read(reader))
    return
  }
  const packed = new ProtoReader(reader.bytesField())
  while (!packed.done) into.push(read(packed))
}

const readInt = (from: ProtoReader) => from.int()
const readFloat = (from: ProtoReader) => from.float()

const dataTypeNames = new Map<number, TensorDataTypeName>(
  Object.entries(TensorDataType).map(([name, code]) => [code, name as TensorDataTypeName]),
)

function dataTypeName(code: number): TensorDataTypeName {
  const name = dataTypeNames.get(code)
  if (!name) throw new GlideError('MODEL_INVALID', `The ONNX file uses tensor type ${code}.`)
  return name
}

function readAttribute(bytes: Uint8Array): { name: string; value: AttributeValue } {
  const reader = new ProtoReader(bytes)
  let name = ''
  let type = 0
  let single: number | string = 0
  const floats: number[] = []
  const ints: number[] = []
  reader.fields((field, wireType) => {
    if (field === 1) name = reader.string()
    else if (field === 2) single = reader.float()
    else if (field === 3) single = reader.int()
    else if (field === 4) single = reader.string()
    else if (field === 7) packedOrSingle(reader, wireType, floats, readFloat)
    else if (field === 8) packedOrSingle(reader, wireType, ints, readInt)
    else if (field === 20) type = reader.int()
    else return false
    return true
  })
  switch (type) {
    case 1:
      return { name, value: { kind: 'float', value: Number(single) } }
    case 2:
      return { name, value: { kind: 'int', value: Number(single) } }
    case 3:
      return { name, value: { kind: 'string', value: String(single) } }
    case 6:
      return { name, value: { kind: 'floats', value: floats } }
    case 7:
      return { name, value: { kind: 'ints', value: ints } }
    default:
      throw new GlideError('MODEL_INVALID', `Attribute ${name} has an unsupported type ${type}.`)
  }
}

function readNode(bytes: Uint8Array): NodeSpec {
  const reader = new ProtoReader(bytes)
  const inputs: string[] = []
  const outputs: string[] = []
  const attributes: Record<string, AttributeValue> = {}
  let name = ''
  let opType = ''
  let domain: string | undefined
  reader.fields((field) => {
    if (field === 1) inputs.push(reader.string())
    else if (field === 2) outputs.push(reader.string())
    else if (field === 3) name = reader.string()
    else if (field === 4) opType = reader.string()
    else if (field === 5) {
      const attribute = readAttribute(reader.bytesField())
      attributes[attribute.name] = attribute.value
    } else if (field === 7) domain = reader.string()
    else return false
    return true
  })
  return { opType, name, inputs, outputs, attributes, ...(domain ? { domain } : {}) }
}

function readTensor(bytes: Uint8Array): TensorSpec {
  const reader = new ProtoReader(bytes)
  const dims: number[] = []
  let dataType = 0
  let name = ''
  let raw: Uint8Array | null = null
  const external = new Map<string, string>()
  reader.fields((field, wireType) => {
    if (field === 1) packedOrSingle(reader, wireType, dims, readInt)
    else if (field === 2) dataType = reader.int()
    else if (field === 8) name = reader.string()
    else if (field === 9) raw = Uint8Array.from(reader.bytesField())
    else if (field === 13) {
      const entry = new ProtoReader(reader.bytesField())
      let key = ''
      let value = ''
      entry.fields((entryField) => {
        if (entryField === 1) key = entry.string()
        else if (entryField === 2) value = entry.string()
        else return false
        return true
      })
      external.set(key, value)
    } else return false
    return true
  })
  const location = external.get('location')
  if (location !== undefined) {
    return {
      name,
      dataType: dataTypeName(dataType),
      dims,
      data: {
        external: {
          location,
          offset: Number(external.get('offset') ?? 0),
          length: Number(external.get('length') ?? 0),
        },
      },
    }
  }
  if (raw === null) throw new GlideError('MODEL_INVALID', `Tensor ${name} holds no raw data.`)
  return { name, dataType: dataTypeName(dataType), dims, data: { raw } }
}

function readValueInfo(bytes: Uint8Array): ValueInfoSpec {
  const reader = new ProtoReader(bytes)
  let name = ''
  let dataType = 0
  const dims: Dimension[] = []
  reader.fields((field) => {
    if (field === 1) name = reader.string()
    else if (field === 2) {
      const type = new ProtoReader(reader.bytesField())
      type.fields((typeField) => {
        if (typeField !== 1) return false
        const tensorType = new ProtoReader(type.bytesField())
        tensorType.fields((tensorField) => {
          if (tensorField === 1) dataType = tensorType.int()
          else if (tensorField === 2) {
            const shape = new ProtoReader(tensorType.bytesField())
            shape.fields((shapeField) => {
              if (shapeField !== 1) return false
              const dimension = new ProtoReader(shape.bytesField())
              dimension.fields((dimensionField) => {
                if (dimensionField === 1) dims.push(dimension.int())
                else if (dimensionField === 2) dims.push(dimension.string())
                else return false
                return true
              })
              return true
            })
          } else return false
          return true
        })
        return true
      })
    } else return false
    return true
  })
  return { name, dataType: dataTypeName(dataType), dims }
}

function readGraph(bytes: Uint8Array): GraphSpec {
  const reader = new ProtoReader(bytes)
  const nodes: NodeSpec[] = []
  const initializers: TensorSpec[] = []
  const inputs: ValueInfoSpec[] = []
  const outputs: ValueInfoSpec[] = []
  let name = ''
  reader.fields((field) => {
    if (field === 1) nodes.push(readNode(reader.bytesField()))
    else if (field === 2) name = reader.string()
    else if (field === 5) initializers.push(readTensor(reader.bytesField()))
    else if (field === 11) inputs.push(readValueInfo(reader.bytesField()))
    else if (field === 12) outputs.push(readValueInfo(reader.bytesField()))
    else return false
    return true
  })
  return { name, nodes, initializers, inputs, outputs }
}

/** Decodes an ONNX model written by encodeModel (or any model within the same subset). */
export function decodeModel(bytes: Uint8Array): ModelSpec {
  const reader = new ProtoReader(bytes)
  let irVersion = 0
  let producerName = ''
  let producerVersion = ''
  let graph: GraphSpec | null = null
  let opsetVersion = 0
  reader.fields((field) => {
    if (field === 1) irVersion = reader.int()
    else if (field === 2) producerName = reader.string()
    else if (field === 3) producerVersion = reader.string()
    else if (field === 7) graph = readGraph(reader.bytesField())
    else if (field === 8) {
      const opset = new ProtoReader(reader.bytesField())
      let domain = ''
      let version = 0
      opset.fields((opsetField) => {
        if (opsetField === 1) domain = opset.string()
        else if (opsetField === 2) version = opset.int()
        else return false
        return true
      })
      if (domain === '' || domain === 'ai.onnx') opsetVersion = version
    } else return false
    return true
  })
  if (graph === null) throw new GlideError('MODEL_INVALID', 'The ONNX file holds no graph.')
  return { irVersion, opsetVersion, producerName, producerVersion, graph }
}
