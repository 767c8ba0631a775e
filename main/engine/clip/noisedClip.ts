import type { ClipOptions } from '../../../contract/model'
import type { ClipTokenizer } from '../tokenizer/clipTokenizer'

/**
 * The seam between CLIP guidance (pure TypeScript) and whatever runs the noised CLIP's graphs:
 * the inference host implements it with onnxruntime-node sessions over a clip-image and a
 * clip-text model folder. Every array is a flat row-major float32 tensor.
 */
export interface NoisedClip {
  /** The clip-image model's id and config (image size, timesteps, embedding width). */
  readonly imageModelId: string
  readonly textModelId: string
  readonly options: ClipOptions
  /** CLIP's BPE, as the text model's folder ships it. */
  readonly tokenizer: ClipTokenizer
  /** tokens [N, max_text_len] and lens [N] → text_emb [N, n_embd], L2-normalised. */
  encodeText(tokens: readonly number[][], lens: readonly number[]): Promise<Float32Array>
  /**
   * d/dx of exp(logit_scale)·Σ text_emb·image_emb(x, t) for x [N, 3, S, S] in [-1, 1] at original
   * timesteps [N], with text_emb [N, n_embd]: [N, 3, S, S].
   */
  imageGradient(
    x: Float32Array,
    timesteps: readonly number[],
    textEmb: Float32Array,
  ): Promise<Float32Array>
  dispose(): Promise<void>
}
