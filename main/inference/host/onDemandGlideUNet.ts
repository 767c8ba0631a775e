import type { GlideUNet } from '../../engine/glideModel'
import type { GlideUNetModelInfo } from './onnxGlideUNet'

/**
 * A GlideUNet whose sessions open at its first network call. A pipeline reads only the id, kind,
 * options and sampling hints (all in the manifest) before the stage that runs the model, so an
 * upsampler opens when the upsampler stage starts, once the base has done its work. `open` is
 * asked for the model at every call (the model cache answers from memory once loaded); dispose
 * does nothing, as the cache owns the sessions.
 */
export function onDemandGlideUNet(
  model: GlideUNetModelInfo,
  open: () => Promise<GlideUNet>,
): GlideUNet {
  return {
    id: model.id,
    kind: model.kind,
    options: model.options,
    ...(model.sampling ? { sampling: model.sampling } : {}),
    encodeText: async (tokens, mask) => (await open()).encodeText(tokens, mask),
    denoise: async (inputs) => (await open()).denoise(inputs),
    dispose: () => Promise.resolve(),
  }
}
