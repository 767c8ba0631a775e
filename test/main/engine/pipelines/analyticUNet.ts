import {
  officialOptions,
  type GlideOptions,
  type UNetKind,
} from '../../../../main/engine/glideOptions'
import type { SamplingHints } from '../../../../contract/model'
import type { GlideUNet, TextConditioning, UNetInputs } from '../../../../main/engine/glideModel'

/**
 * A stand-in for the real network, for testing loop mechanics only (step counts, cancellation,
 * guidance batching, noise order, inputs handed to the model): eps and v are smooth analytic
 * functions of x, the timestep and the caption, so guidance and conditioning visibly change the
 * output. It records every call. Numerical agreement with GLIDE is tested against the real ONNX
 * U-Net in the reference trajectory tests.
 */
export class AnalyticUNet implements GlideUNet {
  readonly id: string
  readonly options: GlideOptions
  readonly encodeCalls: { tokens: number[][]; mask: boolean[][] }[] = []
  readonly denoiseCalls: UNetInputs[] = []
  sampling?: SamplingHints

  constructor(
    readonly kind: UNetKind,
    overrides: Partial<GlideOptions> = {},
  ) {
    this.id = `analytic-${kind}`
    this.options = { ...officialOptions(kind), ...overrides }
  }

  encodeText(tokens: readonly number[][], mask: readonly boolean[][]): Promise<TextConditioning> {
    this.encodeCalls.push({
      tokens: tokens.map((row) => [...row]),
      mask: mask.map((row) => [...row]),
    })
    const batch = tokens.length
    const projWidth = 4 * this.options.num_channels
    const xfProj = new Float32Array(batch * projWidth)
    mask.forEach((row, r) => {
      // The caption's weight: 0 for the empty caption, growing with its real tokens.
      xfProj.fill(row.filter(Boolean).length / 10, r * projWidth, (r + 1) * projWidth)
    })
    const xfOut = new Float32Array(batch * this.options.xf_width * this.options.text_ctx)
    return Promise.resolve({ batch, xfProj, xfOut })
  }

  denoise(inputs: UNetInputs): Promise<Float32Array> {
    this.denoiseCalls.push(inputs)
    const size = this.options.image_size
    const plane = 3 * size * size
    const rows = inputs.x.length / plane
    const projWidth = 4 * this.options.num_channels
    const out = new Float32Array(rows * 2 * plane)
    for (let r = 0; r < rows; r++) {
      const caption = inputs.text.xfProj[r * projWidth] ?? 0
      const t = (inputs.timesteps[r] ?? 0) / 1000
      for (let i = 0; i < plane; i++) {
        const x = inputs.x[r * plane + i] ?? 0
        const known = inputs.inpaintImage?.[r * plane + i] ?? 0
        const lowRes = inputs.lowRes?.[(r * plane + i) % (inputs.lowRes.length || 1)] ?? 0
        out[r * 2 * plane + i] = Math.tanh(0.6 * x + caption - 0.3 * known + 0.2 * lowRes)
        out[r * 2 * plane + plane + i] = Math.sin(3 * t + 0.1 * x)
      }
    }
    return Promise.resolve(out)
  }

  dispose(): Promise<void> {
    return Promise.resolve()
  }
}

/** Small images keep the mechanics tests fast. */
export function smallModels(
  baseKind: UNetKind = 'base',
  upsampleKind: UNetKind | null = 'upsample',
): { base: AnalyticUNet; upsampler?: AnalyticUNet } {
  const base = new AnalyticUNet(baseKind, { image_size: 8 })
  if (upsampleKind === null) return { base }
  return { base, upsampler: new AnalyticUNet(upsampleKind, { image_size: 32 }) }
}
