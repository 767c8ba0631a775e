import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

import { encodeModel, type ModelSpec } from '../../../../main/engine/onnx/onnxProto'
import { decodeModel } from '../../../../main/engine/onnx/onnxReader'

const model: ModelSpec = {
  irVersion: 8,
  opsetVersion: 17,
  producerName: 'glide-studio',
  producerVersion: '1',
  graph: {
    name: 'g',
    nodes: [
      {
        opType: 'Conv',
        name: 'c',
        inputs: ['x', 'w', ''],
        outputs: ['y'],
        attributes: {
          pads: { kind: 'ints', value: [1, 1, -1, 1] },
          epsilon: { kind: 'float', value: 0.5 },
          axis: { kind: 'int', value: -2 },
          mode: { kind: 'string', value: 'nearest' },
          scales: { kind: 'floats', value: [1.5, 2] },
        },
      },
      { opType: 'Relu', name: 'r', inputs: ['y'], outputs: ['z'], attributes: {}, domain: 'x.y' },
    ],
    initializers: [
      { name: 'w', dataType: 'float', dims: [2, 3], data: { raw: new Uint8Array(24).fill(7) } },
      {
        name: 'q',
        dataType: 'int8',
        dims: [4],
        data: { external: { location: 'a.data', offset: 4096, length: 4 } },
      },
      { name: 's', dataType: 'uint8', dims: [], data: { raw: Uint8Array.of(200) } },
    ],
    inputs: [{ name: 'x', dataType: 'float', dims: ['batch', 3, 64, 64] }],
    outputs: [{ name: 'z', dataType: 'float', dims: [] }],
  },
}

describe('decodeModel', () => {
  it('reads back what encodeModel wrote: nodes, attributes of every kind, raw and external tensors, symbolic dims', () => {
    expect(decodeModel(encodeModel(model))).toEqual(model)
  })

  it('reads an imported GLIDE-mini U-Net, whose re-encoding is byte for byte the file', async () => {
    const path = fileURLToPath(
      new URL('../../../../native-models/glide-mini/glide-mini-base/unet.onnx', import.meta.url),
    )
    const bytes = new Uint8Array(await readFile(path))
    const decoded = decodeModel(bytes)
    expect(decoded.graph.nodes.filter((node) => node.opType === 'Conv').length).toBeGreaterThan(10)
    expect(Buffer.from(encodeModel(decoded)).equals(Buffer.from(bytes))).toBe(true)
  })

  it('refuses a truncated file with MODEL_INVALID', () => {
    const bytes = encodeModel(model)
    expect(() => decodeModel(bytes.subarray(0, bytes.length - 7))).toThrow(
      expect.objectContaining({ code: 'MODEL_INVALID' }),
    )
  })

  it('refuses bytes that hold no graph', () => {
    expect(() => decodeModel(Uint8Array.of(8, 8))).toThrow(/no graph/)
  })
})
