import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

import { GlideError } from '../../../../contract/errors'
import { officialOptions, type UNetKind } from '../../../../main/engine/glideOptions'
import { expectedTensors, glideArchitecture } from '../../../../main/engine/onnx/glideArchitecture'

interface OfficialModel {
  options: Record<string, unknown>
  tensors: [string, number[]][]
}

const officialModels = JSON.parse(
  readFileSync(
    new URL('../../../fixtures/glide-reference/official_models.json', import.meta.url),
    'utf8',
  ),
) as Record<string, OfficialModel>

const unetKinds: UNetKind[] = ['base', 'upsample', 'base-inpaint', 'upsample-inpaint']

describe('expectedTensors', () => {
  for (const kind of unetKinds) {
    it(`lists every key and shape of the official ${kind} checkpoint, in order`, () => {
      const official = officialModels[kind]
      expect(official).toBeDefined()
      const options = officialOptions(kind)
      expect({ ...official?.options }).toEqual({ ...options })
      const expected = expectedTensors(glideArchitecture(kind, options)).map((tensor) => [
        tensor.name,
        tensor.shape,
      ])
      expect(expected).toEqual(official?.tensors)
    })
  }

  it('lists downsample/upsample convolutions when resblock_updown is off', () => {
    const options = {
      ...officialOptions('base'),
      resblock_updown: false,
      use_scale_shift_norm: false,
    }
    const names = expectedTensors(glideArchitecture('base', options))
    expect(names.find((tensor) => tensor.name === 'input_blocks.4.0.op.weight')?.shape).toEqual([
      192, 192, 3, 3,
    ])
    expect(names.find((tensor) => tensor.name === 'output_blocks.3.1.conv.weight')).toBeUndefined()
    expect(names.find((tensor) => tensor.name === 'output_blocks.3.2.conv.weight')?.shape).toEqual([
      768, 768, 3, 3,
    ])
    expect(
      names.find((tensor) => tensor.name === 'input_blocks.1.0.emb_layers.1.weight')?.shape,
    ).toEqual([192, 768])
  })

  it('rejects options the architecture cannot be built from', () => {
    const options = { ...officialOptions('base'), num_channels: 48 }
    expect(() => glideArchitecture('base', options)).toThrow(GlideError)
    expect(() => glideArchitecture('upsample', officialOptions('base'))).toThrow(/contradicts/)
  })
})
