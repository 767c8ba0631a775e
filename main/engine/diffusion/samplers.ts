import {
  coefficient,
  elementCount,
  epsFromXstart,
  pMeanVariance,
  type GaussianDiffusion,
  type ImageShape,
  type MeanVarianceOptions,
} from './gaussianDiffusion'

/**
 * One denoising step per call, given the model's output at that step, in the manner of the
 * schedulers of Apple's ml-stable-diffusion: the loop (samplingLoop.ts) owns the model, the noise
 * and the progress; a sampler only turns (x_t, model output, noise) into x_{t−1}.
 */
const f32 = Math.fround

export interface StepInput {
  x: Float32Array
  /** Respaced index, numTimesteps − 1 down to 0. */
  t: number
  /** [B, 2C, H, W]: eps then the variance interpolation v. */
  modelOutput: Float32Array
  shape: ImageShape
  /** The normal draw of this step, `noiseCount` values (absent when that is 0). */
  noise?: Float32Array
  /**
   * GLIDE's condition_mean: a gradient [B, C, H, W] (cond_fn at x_t) that moves the step's mean by
   * variance · gradient, as CLIP guidance does. Ancestral sampling only.
   */
  meanGradient?: Float32Array
}

export interface StepResult {
  sample: Float32Array
  predXstart: Float32Array
}

export type SamplerName = 'ancestral' | 'ddim'

export interface Sampler {
  readonly name: SamplerName
  /** Normals this sampler draws at step t (after the model call). */
  noiseCount(t: number, shape: ImageShape): number
  step(diffusion: GaussianDiffusion, input: StepInput, options: MeanVarianceOptions): StepResult
}

/**
 * GLIDE's p_sample: x_{t−1} = mean + σ·z with the learned variance. Like GLIDE it draws noise at
 * every step, t = 0 included, where the noise is multiplied by 0.
 */
export class AncestralSampler implements Sampler {
  readonly name = 'ancestral'

  noiseCount(_t: number, shape: ImageShape): number {
    return elementCount(shape)
  }

  step(diffusion: GaussianDiffusion, input: StepInput, options: MeanVarianceOptions): StepResult {
    const { mean, logVariance, predXstart } = pMeanVariance(
      diffusion,
      input.x,
      input.t,
      input.modelOutput,
      input.shape,
      options,
    )
    const gradient = input.meanGradient
    if (gradient) {
      if (gradient.length !== mean.length) {
        throw new RangeError(`the mean gradient has ${gradient.length} values, not ${mean.length}`)
      }
      for (let i = 0; i < mean.length; i++) {
        const variance = f32(Math.exp(logVariance[i] ?? 0))
        mean[i] = f32((mean[i] ?? 0) + f32(variance * (gradient[i] ?? 0)))
      }
    }
    const noise = requireNoise(input, mean.length)
    const nonzero = input.t === 0 ? 0 : 1
    const sample = new Float32Array(mean.length)
    for (let i = 0; i < sample.length; i++) {
      const scale = f32(nonzero * f32(Math.exp(f32(0.5 * (logVariance[i] ?? 0)))))
      sample[i] = f32((mean[i] ?? 0) + f32(scale * (noise[i] ?? 0)))
    }
    return { sample, predXstart }
  }
}

/**
 * GLIDE's ddim_sample (DDIM, eq. 12 of Song et al.) with eta: eps is re-derived from the clipped
 * (and replaced) pred_xstart. With eta = 0 the step is deterministic and draws no noise (GLIDE draws
 * and discards it; seeded runs here simply skip it).
 */
export class DdimSampler implements Sampler {
  readonly name = 'ddim'

  constructor(readonly eta = 0) {}

  noiseCount(_t: number, shape: ImageShape): number {
    return this.eta === 0 ? 0 : elementCount(shape)
  }

  step(diffusion: GaussianDiffusion, input: StepInput, options: MeanVarianceOptions): StepResult {
    const { x, t } = input
    if (input.meanGradient)
      throw new Error('DDIM takes no mean gradient (condition_score is not implemented)')
    const { predXstart } = pMeanVariance(diffusion, x, t, input.modelOutput, input.shape, options)
    const eps = epsFromXstart(diffusion, x, t, predXstart)
    const alphaBar = coefficient(diffusion.alphasCumprod, t)
    const alphaBarPrev = coefficient(diffusion.alphasCumprodPrev, t)
    const sigma = f32(
      f32(f32(this.eta) * f32(Math.sqrt(f32(f32(1 - alphaBarPrev) / f32(1 - alphaBar))))) *
        f32(Math.sqrt(f32(1 - f32(alphaBar / alphaBarPrev)))),
    )
    const sqrtAlphaBarPrev = f32(Math.sqrt(alphaBarPrev))
    const epsScale = f32(Math.sqrt(f32(f32(1 - alphaBarPrev) - f32(sigma * sigma))))
    const noiseScale = f32((t === 0 ? 0 : 1) * sigma)
    const noise = this.eta === 0 ? undefined : requireNoise(input, x.length)
    const sample = new Float32Array(x.length)
    for (let i = 0; i < x.length; i++) {
      const meanPred = f32(
        f32((predXstart[i] ?? 0) * sqrtAlphaBarPrev) + f32(epsScale * (eps[i] ?? 0)),
      )
      sample[i] = noise ? f32(meanPred + f32(noiseScale * (noise[i] ?? 0))) : meanPred
    }
    return { sample, predXstart }
  }
}

function requireNoise(input: StepInput, count: number): Float32Array {
  if (!input.noise || input.noise.length !== count) {
    throw new RangeError(
      `step ${input.t} needs ${count} noise values, got ${input.noise?.length ?? 0}`,
    )
  }
  return input.noise
}

export function createSampler(name: SamplerName, eta = 0): Sampler {
  return name === 'ddim' ? new DdimSampler(eta) : new AncestralSampler()
}
