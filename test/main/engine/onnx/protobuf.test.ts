import { describe, expect, it } from 'vitest'

import { encodeModel } from '../../../../main/engine/onnx/onnxProto'
import { ProtoWriter } from '../../../../main/engine/onnx/protobuf'

function bytes(write: (writer: ProtoWriter) => void): number[] {
  const writer = new ProtoWriter()
  write(writer)
  return [...writer.finish()]
}

describe('ProtoWriter', () => {
  it('encodes varints as protobuf does, negatives as ten bytes', () => {
    expect(bytes((w) => w.varint(1))).toEqual([1])
    expect(bytes((w) => w.varint(300))).toEqual([0xac, 0x02])
    expect(bytes((w) => w.varint(2 ** 35))).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])
    expect(bytes((w) => w.varint(-1))).toEqual([...new Array<number>(9).fill(0xff), 0x01])
  })

  it('tags fields with their wire type', () => {
    expect(bytes((w) => w.int(1, 150))).toEqual([0x08, 0x96, 0x01])
    expect(bytes((w) => w.string(2, 'ab'))).toEqual([0x12, 2, 0x61, 0x62])
    expect(bytes((w) => w.float(2, 1))).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f])
    expect(bytes((w) => w.packedInts(4, [3, 270]))).toEqual([0x22, 3, 3, 0x8e, 0x02])
  })

  it('embeds nested messages with their length, across buffer growth', () => {
    const long = 'x'.repeat(1000)
    const encoded = bytes((w) => w.message(3, (nested) => nested.string(1, long)))
    expect(encoded.slice(0, 6)).toEqual([0x1a, 0xeb, 0x07, 0x0a, 0xe8, 0x07])
    expect(encoded.length).toBe(6 + 1000)
  })
})

describe('encodeModel', () => {
  it('writes ir_version first and the opset import', () => {
    const model = encodeModel({
      irVersion: 8,
      opsetVersion: 17,
      producerName: 'p',
      producerVersion: '1',
      graph: { name: 'g', nodes: [], initializers: [], inputs: [], outputs: [] },
    })
    expect([...model.slice(0, 2)]).toEqual([0x08, 8])
    // opset_import (field 8): { domain "" , version 17 }
    expect([...model.slice(-6)]).toEqual([0x42, 4, 0x0a, 0, 0x10, 17])
  })
})
