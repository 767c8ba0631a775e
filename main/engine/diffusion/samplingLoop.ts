import { GlideError } from '../../../contract/errors'
import type { NoiseSource } from '../random/noise'
import {
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
   * GLIDE's cond_fn: a gradient at x_t and the step's original timestep that moves each step's mean
   * by variance · gradient (CLIP guidance); evaluated after the model call.
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
    const modelOutput = await options.model(x, diffusion.modelTimestep(t))
    stopIfCancelled()
    const meanGradient = options.condFn
      ? await options.condFn(x, diffusion.modelTimestep(t))
      : undefined
    if (meanGradient) stopIfCancelled()
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
