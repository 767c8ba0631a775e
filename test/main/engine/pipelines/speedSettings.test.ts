import { describe, expect, it } from 'vitest'
import { GlideError } from '../../../../contract/errors'
import { generationDefaults } from '../../../../contract/generation'
import { betaSchedule, spaceTimesteps } from '../../../../main/engine/diffusion/schedules'
import { resizePlanes } from '../../../../main/engine/images/resize'
import {
  inpaint,
  textToImage,
  type GenerationParams,
  type NoiseSource,
} from '../../../../main/engine/pipelines'
import { SeededNoise } from '../../../../main/engine/random/noise'
import { smallModels } from './analyticUNet'

// The optional speed settings (baseSampler, upsampleSampler, guidanceCutoff, upsampleStart) on
// AnalyticUNet, which records every call: what the models see and what the noise stream gives.

const params: GenerationParams = {
  ...generationDefaults.sampling,
  prompt: 'a corgi in a field',
  batchSize: 2,
  baseRespacing: '10',
  upsampleRespacing: 'fast27',
  seed: 42,
}

const basePlane = 3 * 8 * 8
const upPlane = 3 * 32 * 32

/** Seeded noise that keeps every draw. */
class RecordingNoise implements NoiseSource {
  readonly draws: Float32Array[] = []
  private readonly inner = new SeededNoise(5)
  normal(count: number): Float32Array {
    const draw = this.inner.normal(count)
    this.draws.push(draw)
    return draw
  }
}

function pixels(images: { data: Uint8Array }[]): Uint8Array[] {
  return images.map((image) => image.data)
}

describe('guidance cutoff', () => {
  it('at 0 gives the same pixels as without it', async () => {
    const without = await textToImage(smallModels(), params)
    const atZero = await textToImage(smallModels(), { ...params, guidanceCutoff: 0 })
    expect(pixels(atZero)).toEqual(pixels(without))
  })

  it('runs the conditional rows alone exactly at the steps below cutoff · T, drawing the same noise', async () => {
    const cutoff = 0.45
    const models = smallModels('base', null)
    const noise = new RecordingNoise()
    await textToImage(models, { ...params, guidanceCutoff: cutoff }, { noise })
    const guidedNoise = new RecordingNoise()
    await textToImage(smallModels('base', null), params, { noise: guidedNoise })

    const kept = spaceTimesteps(1000, '10').reverse()
    const calls = models.base.denoiseCalls
    expect(calls.map((call) => call.timesteps[0])).toEqual(kept)
    const conditionalOnly = calls.filter((call) => call.x.length === 2 * basePlane)
    expect(conditionalOnly.map((call) => call.timesteps[0])).toEqual(
      kept.filter((t) => t < cutoff * 1000),
    )
    expect(conditionalOnly.length).toBeGreaterThan(0)
    for (const call of calls) {
      const rows = call.timesteps[0] !== undefined && call.timesteps[0] < cutoff * 1000 ? 2 : 4
      expect(call.x.length).toBe(rows * basePlane)
      expect(call.timesteps).toHaveLength(rows)
      expect(call.text.batch).toBe(rows)
      expect(call.text.xfProj.length).toBe(rows * 4 * models.base.options.num_channels)
    }
    // The conditional rows keep the caption (AnalyticUNet's xfProj is 0 for the empty caption).
    for (const call of conditionalOnly) expect(call.text.xfProj.every((v) => v > 0)).toBe(true)
    // Same draws, same sizes, same order: the seed still decides x_T and every step's noise.
    expect(noise.draws.map((draw) => draw.length)).toEqual(
      guidedNoise.draws.map((draw) => draw.length),
    )
    expect(noise.draws[0]).toEqual(guidedNoise.draws[0])
  })

  it('changes the result when the cutoff changes', async () => {
    const low = await textToImage(smallModels(), { ...params, guidanceCutoff: 0.2 })
    const high = await textToImage(smallModels(), { ...params, guidanceCutoff: 0.6 })
    const none = await textToImage(smallModels(), params)
    expect(pixels(low)).not.toEqual(pixels(high))
    expect(pixels(low)).not.toEqual(pixels(none))
  })

  it('passes the conditional rows of the known region to an inpainting model', async () => {
    const models = smallModels('base-inpaint', null)
    const size = 8
    const data = new Uint8Array(size * size * 4).fill(200)
    const keepMask = new Float32Array(size * size).fill(1, 0, 3 * size)
    await inpaint(models, {
      ...params,
      guidanceCutoff: 1,
      image: { width: size, height: size, data },
      keepMask,
    })
    for (const call of models.base.denoiseCalls) {
      expect(call.x.length).toBe(2 * basePlane)
      expect(call.inpaintImage?.length).toBe(2 * basePlane)
      expect(call.inpaintMask?.length).toBe(2 * size * size)
      expect(call.inpaintMask?.[0]).toBe(1)
      expect(call.inpaintMask?.[size * size - 1]).toBe(0)
    }
  })
})

describe('guidance at scale 1', () => {
  it('runs the conditional rows alone at every step, drawing the same noise', async () => {
    const models = smallModels('base', null)
    const noise = new RecordingNoise()
    await textToImage(models, { ...params, guidanceScale: 1 }, { noise })
    const guidedNoise = new RecordingNoise()
    await textToImage(smallModels('base', null), params, { noise: guidedNoise })

    const calls = models.base.denoiseCalls
    expect(calls.map((call) => call.timesteps[0])).toEqual(spaceTimesteps(1000, '10').reverse())
    for (const call of calls) {
      expect(call.x.length).toBe(2 * basePlane)
      expect(call.text.batch).toBe(2)
      expect(call.text.xfProj.every((v) => v > 0)).toBe(true)
    }
    expect(noise.draws.map((draw) => draw.length)).toEqual(
      guidedNoise.draws.map((draw) => draw.length),
    )
  })

  it('gives the pixels of the guided formula uncond + s · (cond − uncond) at s just above 1', async () => {
    const alone = pixels(await textToImage(smallModels(), { ...params, guidanceScale: 1 }))
    const formula = pixels(await textToImage(smallModels(), { ...params, guidanceScale: 1 + 1e-6 }))
    const models = smallModels('base', null)
    await textToImage(models, { ...params, guidanceScale: 1 + 1e-6 })
    expect(models.base.denoiseCalls.every((call) => call.x.length === 4 * basePlane)).toBe(true)
    expect(alone.length).toBe(formula.length)
    let largest = 0
    alone.forEach((image, index) => {
      const other = formula[index] ?? new Uint8Array()
      image.forEach((value, i) => {
        largest = Math.max(largest, Math.abs(value - (other[i] ?? 0)))
      })
    })
    expect(largest).toBeLessThanOrEqual(1)
    const different = pixels(await textToImage(smallModels(), { ...params, guidanceScale: 2 }))
    expect(different).not.toEqual(alone)
  })
})

describe('guidance reuse', () => {
  /** Rows of each base call: 4 = both halves, 2 = the conditional rows alone. */
  async function baseRows(settings: Partial<GenerationParams>): Promise<[number, number][]> {
    const models = smallModels('base', null)
    await textToImage(models, { ...params, ...settings })
    return models.base.denoiseCalls.map((call) => [
      call.timesteps[0] ?? -1,
      call.x.length / basePlane,
    ])
  }

  it('at 0 gives the same pixels as without it', async () => {
    const without = await textToImage(smallModels(), params)
    const atZero = await textToImage(smallModels(), { ...params, guidanceReuseBelow: 0 })
    expect(pixels(atZero)).toEqual(pixels(without))
  })

  it('runs the unconditional rows at every other step between the cutoff and reuseBelow · T', async () => {
    const kept = spaceTimesteps(1000, '10').reverse()
    const calls = await baseRows({ guidanceCutoff: 0.2, guidanceReuseBelow: 0.75 })
    expect(calls.map(([t]) => t)).toEqual(kept)
    const window = kept.filter((t) => t >= 200 && t < 750)
    expect(window.length).toBeGreaterThanOrEqual(4)
    for (const [t, rows] of calls) {
      if (t >= 750) expect(rows).toBe(4)
      if (t < 200) expect(rows).toBe(2)
    }
    // The first step of the window reuses the direction of the full step just above it.
    expect(calls.filter(([t]) => window.includes(t)).map(([, rows]) => rows)).toEqual(
      window.map((_, index) => (index % 2 === 0 ? 2 : 4)),
    )
  })

  it('starts with both halves when the window starts at the first step', async () => {
    const calls = await baseRows({ guidanceReuseBelow: 1 })
    expect(calls.map(([, rows]) => rows)).toEqual([4, 2, 4, 2, 4, 2, 4, 2, 4, 2])
  })

  it('keeps the caption on the reused steps, draws the same noise, and changes the result', async () => {
    const models = smallModels('base', null)
    const noise = new RecordingNoise()
    const reused = await textToImage(models, { ...params, guidanceReuseBelow: 0.75 }, { noise })
    const guidedNoise = new RecordingNoise()
    const full = await textToImage(smallModels('base', null), params, { noise: guidedNoise })
    const conditionalOnly = models.base.denoiseCalls.filter(
      (call) => call.x.length === 2 * basePlane,
    )
    expect(conditionalOnly.length).toBeGreaterThan(0)
    for (const call of conditionalOnly) expect(call.text.xfProj.every((v) => v > 0)).toBe(true)
    expect(noise.draws.map((draw) => draw.length)).toEqual(
      guidedNoise.draws.map((draw) => draw.length),
    )
    expect(pixels(reused)).not.toEqual(pixels(full))
  })

  it('refuses a value outside 0..1 with its message', async () => {
    await expect(
      textToImage(smallModels(), { ...params, guidanceReuseBelow: 1.5 }),
    ).rejects.toThrow(/Guidance reuse must be between 0 and 1/)
  })
})

describe('samplers per stage', () => {
  it('runs the base with DPM-Solver++ (no step noise) and the upsampler as asked', async () => {
    const noise = new RecordingNoise()
    await textToImage(
      smallModels(),
      { ...params, baseSampler: 'dpm++2m', upsampleSampler: 'ancestral', upsampleRespacing: '3' },
      { noise },
    )
    // base x_T, upsampler x_T, then the upsampler's ancestral noise at each of its 3 steps.
    expect(noise.draws.map((draw) => draw.length)).toEqual([
      4 * basePlane,
      2 * upPlane,
      2 * upPlane,
      2 * upPlane,
      2 * upPlane,
    ])
  })

  it('gives the notebook pixels when the samplers named are the notebook ones', async () => {
    const named = await textToImage(smallModels(), {
      ...params,
      baseSampler: 'ancestral',
      upsampleSampler: 'ddim',
    })
    expect(pixels(named)).toEqual(pixels(await textToImage(smallModels(), params)))
  })
})

describe('upsampler start', () => {
  it('starts from the noised low-res image at round(start · T) − 1 and runs exactly the steps asked', async () => {
    const models = smallModels()
    const upsampler = models.upsampler
    if (!upsampler) throw new Error('no upsampler')
    // The setting wins over the manifest's hint.
    upsampler.sampling = { upsampleFromLowResAt: 900 }
    const noise = new RecordingNoise()
    await textToImage(
      models,
      { ...params, upsampleStart: 0.5, upsampleRespacing: '6', upsampleSampler: 'ddim' },
      { noise },
    )
    const kept = spaceTimesteps(500, '6')
    expect(kept).toHaveLength(6)
    expect(kept.at(-1)).toBe(499)
    expect(upsampler.denoiseCalls.map((call) => call.timesteps)).toEqual(
      [...kept].reverse().map((t) => [t, t]),
    )
    const first = upsampler.denoiseCalls[0]
    const lowRes = first?.lowRes ?? new Float32Array()
    const startNoise = noise.draws.at(-1) ?? new Float32Array()
    expect(startNoise.length).toBe(2 * upPlane)
    const betas = betaSchedule('linear', 1000)
    let alphaCumprod = 1
    for (let t = 0; t <= 499; t++) alphaCumprod *= 1 - (betas[t] ?? 0)
    for (let row = 0; row < 2; row++) {
      const enlarged = resizePlanes(
        lowRes.subarray(row * basePlane, (row + 1) * basePlane),
        3,
        8,
        8,
        32,
        32,
      )
      for (const i of [0, 77, 1500, upPlane - 1]) {
        const expected =
          Math.sqrt(alphaCumprod) * (enlarged[i] ?? 0) +
          Math.sqrt(1 - alphaCumprod) * (startNoise[row * upPlane + i] ?? 0)
        expect(first?.x[row * upPlane + i]).toBeCloseTo(expected, 5)
      }
    }
  })

  it('runs fast27 over the shorter chain too, and refuses more steps than the chain has', async () => {
    const models = smallModels()
    await textToImage(models, { ...params, upsampleStart: 0.3 })
    expect(models.upsampler?.denoiseCalls).toHaveLength(27)
    expect(models.upsampler?.denoiseCalls[0]?.timesteps[0]).toBeLessThan(300)
    const refused = textToImage(smallModels(), {
      ...params,
      upsampleStart: 0.05,
      upsampleRespacing: '100',
    })
    await expect(refused).rejects.toBeInstanceOf(GlideError)
    await expect(refused).rejects.toThrow(/upsampler step setting "100"/)
  })

  it('refuses a start outside the schema with its message', async () => {
    await expect(textToImage(smallModels(), { ...params, upsampleStart: 0.01 })).rejects.toThrow(
      'Upsampler start must be between 0.05 and 1',
    )
    await expect(textToImage(smallModels(), { ...params, guidanceCutoff: 2 })).rejects.toThrow(
      'Guidance cutoff must be between 0 and 1',
    )
  })
})
