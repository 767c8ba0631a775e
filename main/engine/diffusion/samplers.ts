import type { SamplerName } from '../../../contract/generation'
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

export type { SamplerName }

export interface Sampler {
  readonly name: SamplerName
  /**
   * How a cond_fn gradient (CLIP guidance) reaches this sampler: true = as StepInput.meanGradient
   * (GLIDE's condition_mean), false = folded into eps by the loop first (condition_score).
   */
  readonly takesMeanGradient: boolean
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
  readonly takesMeanGradient = true

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
  readonly takesMeanGradient = false

  constructor(readonly eta = 0) {}

  noiseCount(_t: number, shape: ImageShape): number {
    return this.eta === 0 ? 0 : elementCount(shape)
  }

  step(diffusion: GaussianDiffusion, input: StepInput, options: MeanVarianceOptions): StepResult {
    const { x, t } = input
    if (input.meanGradient)
      throw new Error('DDIM takes no mean gradient (the loop applies cond_fn to eps instead)')
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

/**
 * DPM-Solver++(2M) (Lu et al. 2022, algorithm 2): a deterministic multistep solver of the
 * probability-flow ODE in its data-prediction form, in log-SNR time λ = log(α/σ) with α = √ᾱ and
 * σ = √(1 − ᾱ). Each step turns the (guided) eps into x0 (then denoised_fn and clipping, as DDIM
 * does) and extrapolates it linearly in λ from the previous step's x0. The first step and the last
 * two are first order, which is DDIM: the last goes to σ = 0, where λ is infinite, and the one before
 * it spans the widest λ gap of the grid (every respacing keeps timestep 0, where σ is tiny), so a
 * linear extrapolation there overshoots (on the Gaussian toy of the tests, 10 steps err 3× more).
 * The learned variance is unused.
 */
export class DpmSolverPlusPlus2MSampler implements Sampler {
  readonly name = 'dpm++2m'
  readonly takesMeanGradient = false
  private readonly history = new DpmSolverHistory()

  noiseCount(): number {
    return 0
  }

  step(diffusion: GaussianDiffusion, input: StepInput, options: MeanVarianceOptions): StepResult {
    const step = this.history.begin(diffusion, input, options)
    if ('final' in step) return step.final
    const { x } = input
    const sigmaRatio = Math.sqrt((1 - step.alphaBarNext) / (1 - step.alphaBar))
    const dataScale = Math.sqrt(step.alphaBarNext) * -Math.expm1(-step.h)
    const sample = new Float32Array(x.length)
    for (let i = 0; i < x.length; i++) {
      sample[i] = sigmaRatio * (x[i] ?? 0) + dataScale * step.data(i)
    }
    return { sample, predXstart: step.predXstart }
  }
}

/**
 * DPM-Solver++(2M) SDE (Lu et al. 2022, the second-order multistep solver of the reverse SDE in
 * its data-prediction form, midpoint variant, η = 1): each step keeps e^(−h)·σ_next/σ of x, takes
 * α_next·(1 − e^(−2h)) of the extrapolated x0 and adds fresh noise of variance
 * σ_next²·(1 − e^(−2h)), h being the step in log-SNR. The noise corrects errors of the model's
 * x0 as GLIDE's ancestral sampler does, where the ODE carries them to the end; with an exact
 * model it samples the data distribution. First-order steps where DPM-Solver++(2M) takes them; the
 * last step (to σ = 0) draws nothing.
 */
export class DpmSolverPlusPlus2MSdeSampler implements Sampler {
  readonly name = 'dpm++2m-sde'
  readonly takesMeanGradient = false
  private readonly history = new DpmSolverHistory()

  noiseCount(t: number, shape: ImageShape): number {
    return t === 0 ? 0 : elementCount(shape)
  }

  step(diffusion: GaussianDiffusion, input: StepInput, options: MeanVarianceOptions): StepResult {
    const step = this.history.begin(diffusion, input, options)
    if ('final' in step) return step.final
    const { x } = input
    const noise = requireNoise(input, x.length)
    const keep = -Math.expm1(-2 * step.h)
    const xScale = Math.sqrt((1 - step.alphaBarNext) / (1 - step.alphaBar)) * Math.exp(-step.h)
    const dataScale = Math.sqrt(step.alphaBarNext) * keep
    const noiseScale = Math.sqrt(1 - step.alphaBarNext) * Math.sqrt(keep)
    const sample = new Float32Array(x.length)
    for (let i = 0; i < x.length; i++) {
      sample[i] = xScale * (x[i] ?? 0) + dataScale * step.data(i) + noiseScale * (noise[i] ?? 0)
    }
    return { sample, predXstart: step.predXstart }
  }
}

/** What both forms of DPM-Solver++(2M) take from one step before their own update. */
interface DpmSolverStep {
  predXstart: Float32Array
  alphaBar: number
  alphaBarNext: number
  /** The step in log-SNR: λ_next − λ. */
  h: number
  /** x0 extrapolated linearly in λ from the previous step's x0 (x0 itself at first-order steps). */
  data: (index: number) => number
}

/**
 * The multistep memory of DPM-Solver++(2M): the previous step's x0, kept between calls, so one
 * sampler instance serves one chain at a time, steps in order from numTimesteps − 1 down to 0.
 * The step to σ = 0 (λ infinite) ends at α_next · x0 in both forms.
 */
class DpmSolverHistory {
  private previous: { diffusion: GaussianDiffusion; t: number; predXstart: Float32Array } | null =
    null

  begin(
    diffusion: GaussianDiffusion,
    input: StepInput,
    options: MeanVarianceOptions,
  ): DpmSolverStep | { final: StepResult } {
    const { x, t } = input
    if (input.meanGradient) {
      throw new Error(
        'DPM-Solver++ takes no mean gradient (the loop applies cond_fn to eps instead)',
      )
    }
    const { predXstart } = pMeanVariance(diffusion, x, t, input.modelOutput, input.shape, options)
    const alphaBar = diffusionValue(diffusion.alphasCumprod, t)
    const alphaBarNext = diffusionValue(diffusion.alphasCumprodPrev, t)
    const previous = this.previous
    const chained =
      t > 1 &&
      previous !== null &&
      previous.diffusion === diffusion &&
      previous.t === t + 1 &&
      previous.predXstart.length === x.length
    this.previous = t === 0 ? null : { diffusion, t, predXstart }
    if (alphaBarNext >= 1) {
      const alphaNext = Math.sqrt(alphaBarNext)
      const sample = new Float32Array(x.length)
      for (let i = 0; i < x.length; i++) sample[i] = alphaNext * (predXstart[i] ?? 0)
      return { final: { sample, predXstart } }
    }
    const lambda = logSnr(alphaBar)
    const h = logSnr(alphaBarNext) - lambda
    let currentWeight = 1
    let previousWeight = 0
    if (chained) {
      const hLast = lambda - logSnr(diffusionValue(diffusion.alphasCumprod, t + 1))
      const half = h / (2 * hLast)
      currentWeight = 1 + half
      previousWeight = -half
    }
    const previousXstart = chained ? previous.predXstart : predXstart
    return {
      predXstart,
      alphaBar,
      alphaBarNext,
      h,
      data: (index) =>
        currentWeight * (predXstart[index] ?? 0) + previousWeight * (previousXstart[index] ?? 0),
    }
  }
}

function diffusionValue(array: Float64Array, t: number): number {
  const value = array[t]
  if (value === undefined) throw new RangeError(`timestep ${t} outside the schedule`)
  return value
}

/** λ = log(α/σ) for ᾱ = α². */
function logSnr(alphaBar: number): number {
  return 0.5 * (Math.log(alphaBar) - Math.log1p(-alphaBar))
}

export function createSampler(name: SamplerName, eta = 0): Sampler {
  switch (name) {
    case 'ancestral':
      return new AncestralSampler()
    case 'ddim':
      return new DdimSampler(eta)
    case 'dpm++2m':
      return new DpmSolverPlusPlus2MSampler()
    case 'dpm++2m-sde':
      return new DpmSolverPlusPlus2MSdeSampler()
  }
}
