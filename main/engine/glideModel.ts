import type { SamplingHints } from '../../contract/model'
import type { GlideOptions, UNetKind } from './glideOptions'

/**
 * The seam between the engine (pure TypeScript: tokenizer, diffusion, pipelines) and whatever runs
 * the networks. The inference host implements it with onnxruntime-node sessions over a model folder;
 * tests may implement it over the same ONNX files. Every array is a flat row-major float32 tensor.
 */

/** The text encoder's outputs for a batch of N captions; computed once per generation. */
export interface TextConditioning {
  readonly batch: number
  /** [N, 4·num_channels] */
  readonly xfProj: Float32Array
  /** [N, xf_width, text_ctx] */
  readonly xfOut: Float32Array
}

export interface UNetInputs {
  /** [N,3,S,S] noisy image */
  readonly x: Float32Array
  /** [N] original timestep indices 0..999 (not respaced indices) */
  readonly timesteps: readonly number[]
  readonly text: TextConditioning
  /** inpaint kinds: [N,3,S,S], the image to keep (the graph multiplies it by the mask) */
  readonly inpaintImage?: Float32Array
  /** inpaint kinds: [N,1,S,S], 1 = keep */
  readonly inpaintMask?: Float32Array
  /** upsample kinds: [N,3,S/4,S/4] in [-1,1] */
  readonly lowRes?: Float32Array
}

export interface GlideUNet {
  readonly id: string
  readonly kind: UNetKind
  readonly options: GlideOptions
  /** From the model folder's manifest; absent: sampled as GLIDE's notebooks do. */
  readonly sampling?: SamplingHints
  /** tokens and mask are [N, text_ctx], row-major. */
  encodeText(tokens: readonly number[][], mask: readonly boolean[][]): Promise<TextConditioning>
  /** Returns out [N,6,S,S]: 3 channels of eps, then 3 of the variance interpolation v. */
  denoise(inputs: UNetInputs): Promise<Float32Array>
  dispose(): Promise<void>
}

/** The same model, reporting the rows (batch size) of every denoise call to `onRows` first. */
export function countingGlideUNet(unet: GlideUNet, onRows: (rows: number) => void): GlideUNet {
  return {
    id: unet.id,
    kind: unet.kind,
    options: unet.options,
    ...(unet.sampling ? { sampling: unet.sampling } : {}),
    encodeText: (tokens, mask) => unet.encodeText(tokens, mask),
    denoise: (inputs) => {
      onRows(inputs.timesteps.length)
      return unet.denoise(inputs)
    },
    dispose: () => unet.dispose(),
  }
}
