import { GlideError } from '../../../contract/errors'
import type { NoiseSource } from '../random/noise'
import {
  coefficient,
  elementCount,
  type DenoisedFn,
  type GaussianDiffusion,
  type ImageShape,
} from './gaussianDiffusion'
import type { Sampler } from './samplers'

export interface LoopStep {
  /** 1-based. */
  step: number
  totalSteps: number
  /** Respaced index of the step (totalSteps − step). */
  t: number
  sample: Float32Array
  predXstart: Float32Array
}

export interface SamplingLoopOptions {
  diffusion: GaussianDiffusion
  sampler: Sampler
  shape: ImageShape
  /** The starting noise x_T, already scaled by any temperature. */
  xT: Float32Array
  /** The model output [B, 2C, H, W] for x at the original timestep `modelTimestep`. */
  model: (x: Float32Array, modelTimestep: number) => Promise<Float32Array>
  /**
   * GLIDE's cond_fn: a gradient at x_t and the step's original timestep (CLIP guidance), evaluated
   * after the model call. The ancestral sampler moves each step's mean by variance · gradient
   * (condition_mean); the deterministic samplers get the eps it implies (condition_score).
   */
  condFn?: (x: Float32Array, modelTimestep: number) => Promise<Float32Array>
  /** Per-step noise, drawn after the model call of each step that needs it. */
  noise: NoiseSource
  clipDenoised?: boolean
  denoisedFn?: DenoisedFn
  onStep?: (step: LoopStep) => void
  /** Polled before and after every model call; true stops the loop with GlideError('CANCELLED'). */
  isCancelled?: () => boolean
}

/** Runs the sampler from x_T down to t = 0 (GLIDE's p_sample_loop / ddim_sample_loop). */
export async function runSamplingLoop(options: SamplingLoopOptions): Promise<Float32Array> {
  const { diffusion, sampler, shape } = options
  const count = elementCount(shape)
  if (options.xT.length !== count) {
    throw new RangeError(`x_T has ${options.xT.length} values, the shape needs ${count}`)
  }
  const stopIfCancelled = (): void => {
    if (options.isCancelled?.()) throw new GlideError('CANCELLED', 'The generation was cancelled.')
  }
  const totalSteps = diffusion.numTimesteps
  let x = options.xT
  for (let step = 1; step <= totalSteps; step++) {
    const t = totalSteps - step
    stopIfCancelled()
    let modelOutput = await options.model(x, diffusion.modelTimestep(t))
    stopIfCancelled()
    const gradient = options.condFn
      ? await options.condFn(x, diffusion.modelTimestep(t))
      : undefined
    if (gradient) stopIfCancelled()
    const meanGradient = sampler.takesMeanGradient ? gradient : undefined
    if (gradient && !meanGradient) {
      modelOutput = conditionScore(diffusion, t, modelOutput, gradient, shape)
    }
    const noiseCount = sampler.noiseCount(t, shape)
    const noise = noiseCount > 0 ? options.noise.normal(noiseCount) : undefined
    const result = sampler.step(
      diffusion,
      {
        x,
        t,
        modelOutput,
        shape,
        ...(noise ? { noise } : {}),
        ...(meanGradient ? { meanGradient } : {}),
      },
      {
        clipDenoised: options.clipDenoised ?? true,
        ...(options.denoisedFn ? { denoisedFn: options.denoisedFn } : {}),
      },
    )
    x = result.sample
    options.onStep?.({ step, totalSteps, t, sample: result.sample, predXstart: result.predXstart })
  }
  return x
}

/**
 * GLIDE's condition_score: the gradient of log p(y | x_t) enters the score, so the eps channels of
 * the model output become eps − √(1 − ᾱ_t) · gradient; the variance channels are unchanged.
 */
export function conditionScore(
  diffusion: GaussianDiffusion,
  t: number,
  modelOutput: Float32Array,
  gradient: Float32Array,
  shape: ImageShape,
): Float32Array {
  const f32 = Math.fround
  const epsSize = shape.channels * shape.height * shape.width
  if (gradient.length !== shape.batch * epsSize || modelOutput.length !== 2 * gradient.length) {
    throw new RangeError(
      `the gradient has ${gradient.length} values and the model output ${modelOutput.length}; the shape needs ${shape.batch * epsSize} and twice that`,
    )
  }
  const scale = f32(Math.sqrt(f32(1 - coefficient(diffusion.alphasCumprod, t))))
  const guided = Float32Array.from(modelOutput)
  for (let row = 0; row < shape.batch; row++) {
    for (let i = 0; i < epsSize; i++) {
      const index = row * 2 * epsSize + i
      guided[index] = f32((guided[index] ?? 0) - f32(scale * (gradient[row * epsSize + i] ?? 0)))
    }
  }
  return guided
}
