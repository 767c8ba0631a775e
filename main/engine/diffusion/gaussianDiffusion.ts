import type { RespacedSchedule } from './schedules'

/**
 * The coefficient arrays of a (respaced) Gaussian diffusion, in float64 like glide-text2im's NumPy
 * arrays, and the per-step arithmetic of its p_mean_variance. GLIDE gathers each coefficient as
 * float64 and casts it to float32 before any tensor arithmetic, and every tensor operation then
 * rounds to float32; `f32` (Math.fround) after each operation mirrors that exactly for + − × ÷ and
 * √ (double rounding through float64 is harmless for these), so trajectories match GLIDE's to the
 * last bit except where exp rounds differently.
 */
const f32 = Math.fround

export class GaussianDiffusion {
  readonly numTimesteps: number
  /** Respaced index → original timestep, what the model receives. */
  readonly timestepMap: readonly number[]
  readonly betas: Float64Array
  readonly alphasCumprod: Float64Array
  readonly alphasCumprodPrev: Float64Array
  readonly sqrtRecipAlphasCumprod: Float64Array
  readonly sqrtRecipm1AlphasCumprod: Float64Array
  readonly posteriorLogVarianceClipped: Float64Array
  readonly logBetas: Float64Array
  readonly posteriorMeanCoef1: Float64Array
  readonly posteriorMeanCoef2: Float64Array

  constructor(schedule: RespacedSchedule) {
    const betas = Float64Array.from(schedule.betas)
    const count = betas.length
    this.numTimesteps = count
    this.timestepMap = [...schedule.timestepMap]
    this.betas = betas
    this.alphasCumprod = new Float64Array(count)
    this.alphasCumprodPrev = new Float64Array(count)
    this.sqrtRecipAlphasCumprod = new Float64Array(count)
    this.sqrtRecipm1AlphasCumprod = new Float64Array(count)
    this.logBetas = new Float64Array(count)
    this.posteriorMeanCoef1 = new Float64Array(count)
    this.posteriorMeanCoef2 = new Float64Array(count)
    const posteriorVariance = new Float64Array(count)
    let cumprod = 1
    for (let t = 0; t < count; t++) {
      const beta = betas[t] ?? 0
      const alpha = 1 - beta
      const previous = cumprod
      cumprod *= alpha
      this.alphasCumprod[t] = cumprod
      this.alphasCumprodPrev[t] = previous
      this.sqrtRecipAlphasCumprod[t] = Math.sqrt(1 / cumprod)
      this.sqrtRecipm1AlphasCumprod[t] = Math.sqrt(1 / cumprod - 1)
      this.logBetas[t] = Math.log(beta)
      posteriorVariance[t] = (beta * (1 - previous)) / (1 - cumprod)
      this.posteriorMeanCoef1[t] = (beta * Math.sqrt(previous)) / (1 - cumprod)
      this.posteriorMeanCoef2[t] = ((1 - previous) * Math.sqrt(alpha)) / (1 - cumprod)
    }
    // The posterior variance is 0 at t = 0; GLIDE clips its log to the variance at t = 1.
    this.posteriorLogVarianceClipped = new Float64Array(count)
    for (let t = 0; t < count; t++) {
      this.posteriorLogVarianceClipped[t] = Math.log(posteriorVariance[t === 0 ? 1 : t] ?? 0)
    }
  }

  /** The original timestep the model sees at respaced index t. */
  modelTimestep(t: number): number {
    const original = this.timestepMap[t]
    if (original === undefined)
      throw new RangeError(`timestep ${t} outside 0..${this.numTimesteps - 1}`)
    return original
  }
}

/** A float64 coefficient as GLIDE's _extract_into_tensor hands it over: cast to float32. */
export function coefficient(array: Float64Array, t: number): number {
  const value = array[t]
  if (value === undefined) throw new RangeError(`timestep ${t} outside the schedule`)
  return f32(value)
}

export interface ImageShape {
  /** Rows of the batch. */
  batch: number
  /** Channels of the image (3); the model output has twice as many. */
  channels: number
  height: number
  width: number
}

export function elementCount(shape: ImageShape): number {
  return shape.batch * shape.channels * shape.height * shape.width
}

/** Replaces pred_xstart in place (GLIDE's denoised_fn), before clipping. */
export type DenoisedFn = (predXstart: Float32Array) => void

export interface MeanVariance {
  mean: Float32Array
  logVariance: Float32Array
  predXstart: Float32Array
}

export interface MeanVarianceOptions {
  clipDenoised: boolean
  denoisedFn?: DenoisedFn
}

/**
 * GLIDE's p_mean_variance for a model with learned-range variance: the model output [B, 2C, H, W]
 * holds eps (C channels) then v (C channels) with log variance = frac·log β_t + (1 − frac)·log σ̃²_t,
 * frac = (v + 1) / 2; pred_xstart from eps, then denoised_fn, then clipping to [-1, 1]; the mean is
 * the posterior mean of q(x_{t−1} | x_t, pred_xstart).
 */
export function pMeanVariance(
  diffusion: GaussianDiffusion,
  x: Float32Array,
  t: number,
  modelOutput: Float32Array,
  shape: ImageShape,
  options: MeanVarianceOptions,
): MeanVariance {
  const planeSize = shape.channels * shape.height * shape.width
  const count = elementCount(shape)
  if (x.length !== count || modelOutput.length !== 2 * count) {
    throw new RangeError(
      `expected x of ${count} and a model output of ${2 * count} values, got ${x.length} and ${modelOutput.length}`,
    )
  }
  const minLog = coefficient(diffusion.posteriorLogVarianceClipped, t)
  const maxLog = coefficient(diffusion.logBetas, t)
  const recip = coefficient(diffusion.sqrtRecipAlphasCumprod, t)
  const recipm1 = coefficient(diffusion.sqrtRecipm1AlphasCumprod, t)
  const meanCoef1 = coefficient(diffusion.posteriorMeanCoef1, t)
  const meanCoef2 = coefficient(diffusion.posteriorMeanCoef2, t)

  const logVariance = new Float32Array(count)
  const predXstart = new Float32Array(count)
  for (let row = 0; row < shape.batch; row++) {
    const outBase = row * 2 * planeSize
    const base = row * planeSize
    for (let i = 0; i < planeSize; i++) {
      const eps = modelOutput[outBase + i] ?? 0
      const v = modelOutput[outBase + planeSize + i] ?? 0
      const frac = f32(f32(v + 1) / 2)
      logVariance[base + i] = f32(f32(frac * maxLog) + f32(f32(1 - frac) * minLog))
      predXstart[base + i] = f32(f32(recip * (x[base + i] ?? 0)) - f32(recipm1 * eps))
    }
  }
  options.denoisedFn?.(predXstart)
  if (options.clipDenoised) {
    for (let i = 0; i < count; i++) {
      predXstart[i] = Math.min(Math.max(predXstart[i] ?? 0, -1), 1)
    }
  }
  const mean = new Float32Array(count)
  for (let i = 0; i < count; i++) {
    mean[i] = f32(f32(meanCoef1 * (predXstart[i] ?? 0)) + f32(meanCoef2 * (x[i] ?? 0)))
  }
  return { mean, logVariance, predXstart }
}

/** GLIDE's _predict_eps_from_xstart: eps = (x_t / sqrt(ᾱ_t) − x0) / sqrt(1/ᾱ_t − 1). */
export function epsFromXstart(
  diffusion: GaussianDiffusion,
  x: Float32Array,
  t: number,
  predXstart: Float32Array,
): Float32Array {
  const recip = coefficient(diffusion.sqrtRecipAlphasCumprod, t)
  const recipm1 = coefficient(diffusion.sqrtRecipm1AlphasCumprod, t)
  const eps = new Float32Array(x.length)
  for (let i = 0; i < x.length; i++) {
    eps[i] = f32(f32(f32(recip * (x[i] ?? 0)) - (predXstart[i] ?? 0)) / recipm1)
  }
  return eps
}
