import { describe, expect, it } from 'vitest'
import {
  GaussianDiffusion,
  coefficient,
  pMeanVariance,
  type ImageShape,
} from '../../../../main/engine/diffusion/gaussianDiffusion'
import {
  applyGuidance,
  applyKeptGuidance,
  guidanceDirection,
  guidedModelInput,
} from '../../../../main/engine/diffusion/guidance'
import { AncestralSampler, DdimSampler } from '../../../../main/engine/diffusion/samplers'
import { runSamplingLoop } from '../../../../main/engine/diffusion/samplingLoop'
import { respacedSchedule } from '../../../../main/engine/diffusion/schedules'
import { RecordedNoise, SeededNoise } from '../../../../main/engine/random/noise'

const shape: ImageShape = { batch: 1, channels: 3, height: 2, width: 2 }
const count = 12
const diffusion = new GaussianDiffusion(respacedSchedule('squaredcos_cap_v2', 1000, '25'))

function modelOutput(eps: number, v: number): Float32Array {
  return Float32Array.from({ length: 2 * count }, (_, i) => (i < count ? eps : v))
}

describe('GaussianDiffusion coefficients', () => {
  it('derive from the respaced betas like GLIDE', () => {
    const t = 10
    const alphaBar = diffusion.alphasCumprod[t] ?? 0
    const previous = diffusion.alphasCumprodPrev[t] ?? 0
    const beta = diffusion.betas[t] ?? 0
    expect(previous).toBe(diffusion.alphasCumprod[t - 1])
    expect(diffusion.sqrtRecipAlphasCumprod[t]).toBe(Math.sqrt(1 / alphaBar))
    expect(diffusion.posteriorMeanCoef1[t]).toBe((beta * Math.sqrt(previous)) / (1 - alphaBar))
    expect(diffusion.posteriorLogVarianceClipped[0]).toBe(diffusion.posteriorLogVarianceClipped[1])
    expect(diffusion.modelTimestep(24)).toBe(999)
    expect(() => diffusion.modelTimestep(25)).toThrow(RangeError)
  })
})

describe('pMeanVariance', () => {
  const x = Float32Array.from({ length: count }, (_, i) => (i - 6) / 3)

  it('interpolates the log variance between the posterior and beta with v', () => {
    const t = 7
    const high = pMeanVariance(diffusion, x, t, modelOutput(0, 1), shape, { clipDenoised: true })
    const low = pMeanVariance(diffusion, x, t, modelOutput(0, -1), shape, { clipDenoised: true })
    const mid = pMeanVariance(diffusion, x, t, modelOutput(0, 0), shape, { clipDenoised: true })
    expect(high.logVariance[0]).toBe(coefficient(diffusion.logBetas, t))
    expect(low.logVariance[0]).toBe(coefficient(diffusion.posteriorLogVarianceClipped, t))
    expect(mid.logVariance[0]).toBeCloseTo(
      ((high.logVariance[0] ?? 0) + (low.logVariance[0] ?? 0)) / 2,
      5,
    )
  })

  it('predicts x0 from eps, replaces, then clips', () => {
    const t = 3
    const unclipped = pMeanVariance(diffusion, x, t, modelOutput(0.5, 0), shape, {
      clipDenoised: false,
    })
    const expected0 =
      coefficient(diffusion.sqrtRecipAlphasCumprod, t) * (x[0] ?? 0) -
      coefficient(diffusion.sqrtRecipm1AlphasCumprod, t) * 0.5
    expect(unclipped.predXstart[0]).toBeCloseTo(expected0, 5)
    expect(Math.abs(unclipped.predXstart[0] ?? 0)).toBeGreaterThan(1)

    const seen: number[] = []
    const replaced = pMeanVariance(diffusion, x, t, modelOutput(0.5, 0), shape, {
      clipDenoised: true,
      denoisedFn: (predXstart) => {
        seen.push(predXstart[0] ?? 0)
        predXstart[1] = 5
      },
    })
    expect(seen[0]).toBe(unclipped.predXstart[0])
    expect(replaced.predXstart[0]).toBe(-1)
    expect(replaced.predXstart[1]).toBe(1)
  })
})

describe('samplers', () => {
  it('ancestral sampling adds no noise at t = 0', () => {
    const x = new Float32Array(count).fill(0.25)
    const output = modelOutput(0.1, 0.3)
    const options = { clipDenoised: true }
    const { mean } = pMeanVariance(diffusion, x, 0, output, shape, options)
    const step = new AncestralSampler().step(
      diffusion,
      { x, t: 0, modelOutput: output, shape, noise: new Float32Array(count).fill(3) },
      options,
    )
    expect(step.sample).toEqual(mean)
    const noisy = new AncestralSampler().step(
      diffusion,
      { x, t: 5, modelOutput: output, shape, noise: new Float32Array(count).fill(3) },
      options,
    )
    const quiet = new AncestralSampler().step(
      diffusion,
      { x, t: 5, modelOutput: output, shape, noise: new Float32Array(count) },
      options,
    )
    expect((noisy.sample[0] ?? 0) - (quiet.sample[0] ?? 0)).toBeGreaterThan(0)
  })

  it('DDIM with eta 0 moves an exact eps prediction to the previous marginal', () => {
    const t = 12
    const x0 = 0.4
    const eps = -0.7
    const alphaBar = diffusion.alphasCumprod[t] ?? 0
    const alphaBarPrev = diffusion.alphasCumprodPrev[t] ?? 0
    const xt = new Float32Array(count).fill(
      Math.sqrt(alphaBar) * x0 + Math.sqrt(1 - alphaBar) * eps,
    )
    const sampler = new DdimSampler(0)
    expect(sampler.noiseCount(t, shape)).toBe(0)
    const { sample, predXstart } = sampler.step(
      diffusion,
      { x: xt, t, modelOutput: modelOutput(eps, 0), shape },
      { clipDenoised: true },
    )
    expect(predXstart[0]).toBeCloseTo(x0, 5)
    expect(sample[0]).toBeCloseTo(
      Math.sqrt(alphaBarPrev) * x0 + Math.sqrt(1 - alphaBarPrev) * eps,
      5,
    )
  })

  it('DDIM with eta > 0 needs and uses noise', () => {
    const sampler = new DdimSampler(1)
    expect(sampler.noiseCount(4, shape)).toBe(count)
    const x = new Float32Array(count).fill(0.1)
    const input = { x, t: 4, modelOutput: modelOutput(0.2, 0), shape }
    expect(() => sampler.step(diffusion, input, { clipDenoised: true })).toThrow(/noise/)
    const a = sampler.step(
      diffusion,
      { ...input, noise: new Float32Array(count) },
      { clipDenoised: true },
    )
    const b = sampler.step(
      diffusion,
      { ...input, noise: new Float32Array(count).fill(1) },
      { clipDenoised: true },
    )
    expect(b.sample[0]).not.toBe(a.sample[0])
  })
})

describe('classifier-free guidance', () => {
  it('feeds the conditional half twice', () => {
    const x = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8)
    expect(Array.from(guidedModelInput(x, 2))).toEqual([1, 2, 3, 4, 1, 2, 3, 4])
    expect(() => guidedModelInput(Float32Array.of(1, 2, 3), 1)).toThrow(RangeError)
  })

  it('pushes eps along cond − uncond and keeps each row’s variance', () => {
    // 2 rows, 1 channel, 2 pixels: [eps(2), v(2)] per row
    const output = Float32Array.of(1, 2, 10, 20, 0.5, 0, 30, 40)
    applyGuidance(output, 1, 2, 3)
    expect(Array.from(output)).toEqual([2, 6, 10, 20, 2, 6, 30, 40])
  })

  it('reads the direction cond − uncond from the eps channels only', () => {
    const output = Float32Array.of(1, 2, 10, 20, 0.5, 0, 30, 40)
    expect(Array.from(guidanceDirection(output, 1, 2))).toEqual([0.5, 2])
    expect(() => guidanceDirection(Float32Array.of(1, 2, 3, 4), 1, 2)).toThrow(RangeError)
  })

  it('guides conditional rows with a kept direction as applyGuidance would with uncond = cond − direction', () => {
    const conditional = Float32Array.of(1, 2, 10, 20)
    const kept = Float32Array.of(0.5, 2)
    const guided = applyKeptGuidance(conditional, kept, 1, 2, 3)
    // eps = cond + (3 − 1)·direction in both halves; v stays the conditional rows' own.
    expect(Array.from(guided)).toEqual([2, 6, 10, 20, 2, 6, 10, 20])
    const full = applyGuidance(Float32Array.of(1, 2, 10, 20, 0.5, 0, 30, 40), 1, 2, 3)
    expect(Array.from(guided.subarray(0, 2))).toEqual(Array.from(full.subarray(0, 2)))
    expect(() => applyKeptGuidance(conditional, Float32Array.of(1), 1, 2, 3)).toThrow(RangeError)
  })
})

describe('runSamplingLoop', () => {
  const loopShape: ImageShape = { batch: 1, channels: 3, height: 1, width: 1 }
  const small = new GaussianDiffusion(respacedSchedule('linear', 1000, '4'))
  // eps = 0.1 and v = 0 everywhere
  const constantOutput = Float32Array.of(0.1, 0.1, 0.1, 0, 0, 0)

  it('calls the model at the original timesteps, noisiest first, and reports every step', async () => {
    const timesteps: number[] = []
    const steps: number[] = []
    const noise = new RecordedNoise(Array.from({ length: 4 }, () => new Float32Array(3)))
    await runSamplingLoop({
      diffusion: small,
      sampler: new AncestralSampler(),
      shape: loopShape,
      xT: new Float32Array(3),
      model: (_x, t) => {
        timesteps.push(t)
        return Promise.resolve(Float32Array.from(constantOutput))
      },
      noise,
      onStep: (step) => steps.push(step.step, step.t),
    })
    expect(timesteps).toEqual([999, 666, 333, 0])
    expect(steps).toEqual([1, 3, 2, 2, 3, 1, 4, 0])
    expect(noise.remaining).toBe(0)
  })

  it('throws CANCELLED before the next model call', async () => {
    let calls = 0
    const run = runSamplingLoop({
      diffusion: small,
      sampler: new DdimSampler(0),
      shape: loopShape,
      xT: new Float32Array(3),
      model: () => {
        calls++
        return Promise.resolve(new Float32Array(6))
      },
      noise: new SeededNoise(1),
      isCancelled: () => calls >= 2,
    })
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(calls).toBe(2)
  })
})
