import { modelFormat, zModelManifest, type ModelManifest } from '../../../contract/model'
import { officialOptions } from '../../../main/engine/glideOptions'

/** A valid manifest of the official base model; overrides replace top-level fields. */
export function baseManifest(overrides: Partial<Record<string, unknown>> = {}): ModelManifest {
  return zModelManifest.parse({
    format: modelFormat,
    id: 'glide-base',
    name: 'GLIDE (filtered) base',
    kind: 'base',
    options: officialOptions('base'),
    tokenizer: 'gpt2-bpe',
    diffusion: { steps: 1000, noiseSchedule: 'squaredcos_cap_v2' },
    files: {
      text_encoder: 'text_encoder.onnx',
      text_encoder_data: 'text_encoder.onnx.data',
      unet: 'unet.onnx',
      unet_data: 'unet.onnx.data',
    },
    source: { checkpoint: 'base.pt', sha256: 'a'.repeat(64) },
    license: 'MIT',
    ...overrides,
  })
}
