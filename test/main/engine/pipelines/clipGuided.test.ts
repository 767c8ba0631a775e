import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { parseClipConfigText } from '../../../../main/engine/clip/clipOptions'
import type { NoisedClip } from '../../../../main/engine/clip/noisedClip'
import { GaussianDiffusion } from '../../../../main/engine/diffusion/gaussianDiffusion'
import { createSampler } from '../../../../main/engine/diffusion/samplers'
import { runSamplingLoop, type LoopStep } from '../../../../main/engine/diffusion/samplingLoop'
import { respacedSchedule } from '../../../../main/engine/diffusion/schedules'
import type { GlideUNet } from '../../../../main/engine/glideModel'
import { rgbaToTensor } from '../../../../main/engine/images/rgbaImage'
import {
  clipCondFn,
  clipGuidedInpaint,
  clipGuidedTextToImage,
  clipTextEmbedding,
} from '../../../../main/engine/pipelines'
import { RecordedNoise, SeededNoise } from '../../../../main/engine/random/noise'
import { loadNoisedClip } from '../../../../main/inference/host/onnxNoisedClip'
import { importClipCheckpoint } from '../../../../main/models/importer'
import { maxAbsDifference, readNpy, readNpyFloat32 } from '../../../helpers/npy'
import { loadReferenceUNet, readReferenceJson, referenceDir } from './referenceModels'

/**
 * glide-text2im's clip_guided notebook (sampler-clip): the reference base U-Net without
 * classifier-free guidance and clip-tiny's noised CLIP at scale 3, replayed with the recorded noise
 * through the real ONNX graphs (the CLIP gradient computed inside image_grad.onnx).
 */
const tolerance = 1e-4

function fixture(path: string): URL {
  return new URL(path, referenceDir)
}

function perStep(array: { shape: number[]; data: Float32Array }): Float32Array[] {
  const steps = array.shape[0] ?? 0
  const size = array.data.length / steps
  return Array.from({ length: steps }, (_, i) => array.data.subarray(i * size, (i + 1) * size))
}

function rowsOf(path: string, asNumber: (value: bigint | number) => number = Number): number[][] {
  const array = readNpy(fixture(path))
  const [rows = 0, ctx = 0] = array.shape
  return Array.from({ length: rows }, (_, r) =>
    Array.from(array.data.subarray(r * ctx, (r + 1) * ctx) as ArrayLike<bigint | number>, asNumber),
  )
}

function maxAbs(values: ArrayLike<number>): number {
  let max = 0
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i] ?? 0))
  return max
}

/** A short CLIP-guided text-to-image job (set its clipGuidanceScale). */
const redCube = {
  prompt: 'a red cube',
  batchSize: 1,
  guidanceScale: 1,
  baseRespacing: '5',
  upsampleRespacing: 'fast27',
  upsampleTemperature: 0.997,
  seed: 7,
}

/** `clip` with its text and image calls counted. */
function countingClip(clip: NoisedClip): {
  clip: NoisedClip
  calls: { text: number; image: number }
} {
  const calls = { text: 0, image: 0 }
  const counting: NoisedClip = {
    ...clip,
    tokenizer: clip.tokenizer,
    encodeText: (tokens, lens) => {
      calls.text += 1
      return clip.encodeText(tokens, lens)
    },
    imageGradient: (x, t, emb) => {
      calls.image += 1
      return clip.imageGradient(x, t, emb)
    },
  }
  return { clip: counting, calls }
}

describe('CLIP guidance', () => {
  let modelsDir: string
  let clip: NoisedClip
  let base: GlideUNet

  beforeAll(async () => {
    modelsDir = await mkdtemp(join(tmpdir(), 'clip-guided-'))
    const clipTiny = fileURLToPath(fixture('clip-tiny/'))
    const options = parseClipConfigText(
      await readFile(join(clipTiny, 'config.yaml'), 'utf8'),
      'config.yaml',
    )
    for (const [kind, file] of [
      ['clip-image', 'image_enc.pt'],
      ['clip-text', 'text_enc.pt'],
    ] as const) {
      await importClipCheckpoint({
        kind,
        checkpointPath: join(clipTiny, file),
        options,
        outDir: join(modelsDir, kind),
      })
    }
    clip = await loadNoisedClip(join(modelsDir, 'clip-image'), join(modelsDir, 'clip-text'), {
      cacheDir: null,
    })
    base = await loadReferenceUNet('unet-base')
  })

  afterAll(async () => {
    await clip?.dispose()
    await base?.dispose()
    await rm(modelsDir, { recursive: true, force: true })
  })

  it('replays the clip_guided notebook (sampler-clip) step by step', async () => {
    const testCase = readReferenceJson<{
      prompts: string[]
      clip_guidance_scale: number
      timestep_map: number[]
    }>('sampler-clip/case.json')
    const clipTokens = rowsOf('sampler-clip/clip_tokens.npy')
    const clipLens = Array.from(readNpy(fixture('sampler-clip/clip_lens.npy')).data, Number)
    // The folder's own tokenizer gives the recorded CLIP tokens.
    testCase.prompts.forEach((prompt, row) => {
      const tokenized = clip.tokenizer.tokenize(prompt, 77)
      expect(tokenized.padded).toEqual(clipTokens[row])
      expect(tokenized.length).toBe(clipLens[row])
    })
    const textEmb = await clip.encodeText(clipTokens, clipLens)
    const text = await base.encodeText(
      rowsOf('sampler-clip/tokens.npy'),
      rowsOf('sampler-clip/mask.npy').map((row) => row.map((value) => value !== 0)),
    )
    const schedule = respacedSchedule('squaredcos_cap_v2', 1000, '25')
    expect(schedule.timestepMap).toEqual(testCase.timestep_map)
    const condFn = clipCondFn(clip, textEmb, 2, testCase.clip_guidance_scale)
    const gradients: Float32Array[] = []
    const steps: LoopStep[] = []
    const noise = new RecordedNoise(perStep(readNpyFloat32(fixture('sampler-clip/step_noise.npy'))))
    const diffusion = new GaussianDiffusion(schedule)
    await runSamplingLoop({
      diffusion,
      sampler: createSampler('ancestral'),
      shape: { batch: 2, channels: 3, height: 64, width: 64 },
      xT: readNpyFloat32(fixture('sampler-clip/x_T.npy')).data,
      noise,
      model: (x, timestep) => base.denoise({ x, timesteps: [timestep, timestep], text }),
      condFn: async (x, timestep) => {
        const gradient = await condFn(x, timestep)
        gradients.push(gradient)
        return gradient
      },
      onStep: (step) => steps.push(step),
    })
    expect(noise.remaining).toBe(0)

    const expectedGradients = perStep(readNpyFloat32(fixture('sampler-clip/clip_grad.npy')))
    const samples = perStep(readNpyFloat32(fixture('sampler-clip/samples.npy')))
    const predXstart = perStep(readNpyFloat32(fixture('sampler-clip/pred_xstart.npy')))
    expect(steps).toHaveLength(25)
    let worstGradient = 0
    let worstSample = 0
    steps.forEach((step, i) => {
      const expectedGradient = expectedGradients[i] ?? new Float32Array()
      const gradientError =
        maxAbsDifference(gradients[i] ?? new Float32Array(), expectedGradient) /
        maxAbs(expectedGradient)
      const sampleError = maxAbsDifference(step.sample, samples[i] ?? new Float32Array())
      const predError = maxAbsDifference(step.predXstart, predXstart[i] ?? new Float32Array())
      const epsGain = diffusion.sqrtRecipm1AlphasCumprod[step.t] ?? Number.NaN
      // At the noisiest step pred_xstart magnifies the U-Nets' ~1e-6 float32 eps differences by
      // √(1/ᾱ − 1) ≈ 2e4 where it is not clipped, and the sample gets that through the posterior
      // mean's coefficient; the step then carries into the next few (the same happens with the
      // recorded gradient in place of ours). Later steps get 5× the tolerance, as the upsampler
      // case does, and the final sample the plain tolerance.
      const meanGain = epsGain * (diffusion.posteriorMeanCoef1[step.t] ?? Number.NaN)
      const allowed = i === 0 ? tolerance * Math.max(1, meanGain) : 5 * tolerance
      expect(gradientError, `gradient at step ${i}`).toBeLessThan(1e-3)
      expect(sampleError, `sample at step ${i}`).toBeLessThan(allowed)
      expect(predError, `pred_xstart at step ${i}`).toBeLessThan(
        5 * tolerance * Math.max(1, epsGain),
      )
      worstGradient = Math.max(worstGradient, gradientError)
      worstSample = Math.max(worstSample, sampleError)
    })
    expect(
      maxAbsDifference(steps[24]?.sample ?? new Float32Array(), samples[24] ?? new Float32Array()),
    ).toBeLessThan(tolerance)
    process.stdout.write(
      `sampler-clip: gradient ≤ ${worstGradient.toExponential(2)} of its largest value, samples ≤ ${worstSample.toExponential(2)}\n`,
    )
  })

  it('moves the sample: the guided pipeline differs from scale 0 and is reproducible by seed', async () => {
    const steps: number[] = []
    const guided = await clipGuidedTextToImage(
      { base, clip },
      { ...redCube, clipGuidanceScale: 3 },
      { onStep: (event) => steps.push(event.step) },
    )
    const again = await clipGuidedTextToImage({ base, clip }, { ...redCube, clipGuidanceScale: 3 })
    const plain = await clipGuidedTextToImage({ base, clip }, { ...redCube, clipGuidanceScale: 0 })
    expect(steps).toEqual([1, 2, 3, 4, 5])
    expect(guided[0]?.data).toEqual(again[0]?.data)
    expect(guided[0]?.data).not.toEqual(plain[0]?.data)
    // The text embedding is computed once per generation, whatever the step count.
    const counting = countingClip(clip)
    await clipGuidedTextToImage(
      { base, clip: counting.clip },
      { ...redCube, clipGuidanceScale: 3 },
      { noise: new SeededNoise(1) },
    )
    expect(counting.calls.text).toBe(1)
    expect((await clipTextEmbedding(clip, 'a red cube', 2)).length).toBe(64)
  })

  it('runs no CLIP at scale 0, and gives the image a zero gradient gives', async () => {
    const counting = countingClip(clip)
    const atZero = await clipGuidedTextToImage(
      { base, clip: counting.clip },
      { ...redCube, clipGuidanceScale: 0 },
    )
    expect(counting.calls).toEqual({ text: 0, image: 0 })
    // The smallest positive scale runs CLIP at every step and rounds to 0 in float32.
    const zeroGradient = await clipGuidedTextToImage(
      { base, clip: counting.clip },
      { ...redCube, clipGuidanceScale: Number.MIN_VALUE },
    )
    expect(counting.calls).toEqual({ text: 1, image: 5 })
    expect(atZero[0]?.data).toEqual(zeroGradient[0]?.data)
    // So none is needed there: main loads no CLIP for a job at scale 0.
    const withoutClip = await clipGuidedTextToImage({ base }, { ...redCube, clipGuidanceScale: 0 })
    expect(withoutClip[0]?.data).toEqual(atZero[0]?.data)
  })

  for (const sampler of ['ddim', 'dpm++2m'] as const) {
    it(`with ${sampler} (condition_score) raises the CLIP similarity of the sample`, async () => {
      const params = { ...redCube, seed: 11, baseSampler: sampler }
      const [guided] = await clipGuidedTextToImage(
        { base, clip },
        { ...params, clipGuidanceScale: 3 },
      )
      const [again] = await clipGuidedTextToImage(
        { base, clip },
        { ...params, clipGuidanceScale: 3 },
      )
      const [plain] = await clipGuidedTextToImage(
        { base, clip },
        { ...params, clipGuidanceScale: 0 },
      )
      if (!guided || !plain) throw new Error('no image')
      expect(again?.data).toEqual(guided.data)
      const from = rgbaToTensor(plain)
      const to = rgbaToTensor(guided)
      // similarity(to) − similarity(from) = ∫ ∇similarity · (to − from) along the segment
      // (trapezoid rule over 5 points), with the clean-image CLIP (t = 0).
      const textEmb = await clipTextEmbedding(clip, params.prompt, 1)
      const points = 5
      let gain = 0
      for (let k = 0; k < points; k++) {
        const s = k / (points - 1)
        const x = from.map((value, i) => value + s * ((to[i] ?? 0) - value))
        const gradient = await clip.imageGradient(x, [0], textEmb)
        let dot = 0
        for (let i = 0; i < x.length; i++)
          dot += (gradient[i] ?? 0) * ((to[i] ?? 0) - (from[i] ?? 0))
        gain += ((k === 0 || k === points - 1 ? 0.5 : 1) * dot) / (points - 1)
      }
      process.stdout.write(`CLIP ${sampler}: similarity gain ${gain.toExponential(3)}\n`)
      expect(gain).toBeGreaterThan(0)
    })
  }

  it('inpaints with CLIP guidance: the kept pixels stay, the masked square is regenerated', async () => {
    const size = 64
    const image = {
      width: size,
      height: size,
      data: new Uint8Array(size * size * 4).map((_, i) =>
        i % 4 === 3 ? 255 : i % 4 === 0 ? 200 : 40,
      ),
    }
    const keepMask = new Float32Array(size * size).map((_, i) => {
      const x = i % size
      const y = Math.floor(i / size)
      return x >= 16 && x < 48 && y >= 16 && y < 48 ? 0 : 1
    })
    const [result] = await clipGuidedInpaint(
      { base, clip },
      {
        prompt: 'a red cube',
        batchSize: 1,
        guidanceScale: 1,
        baseRespacing: '4',
        upsampleRespacing: 'fast27',
        upsampleTemperature: 0.997,
        seed: 3,
        clipGuidanceScale: 3,
        image,
        keepMask,
      },
    )
    expect(result?.width).toBe(size)
    let keptDifference = 0
    let holeDifference = 0
    for (let i = 0; i < size * size; i++) {
      const difference = Math.abs((result?.data[i * 4] ?? 0) - 200)
      if (keepMask[i] === 1) keptDifference = Math.max(keptDifference, difference)
      else holeDifference = Math.max(holeDifference, difference)
    }
    expect(keptDifference).toBeLessThanOrEqual(3)
    expect(holeDifference).toBeGreaterThan(20)
  })

  it('refuses a CLIP model of another image size, a negative scale, and a scale with no CLIP', async () => {
    const params = {
      prompt: 'x',
      batchSize: 1,
      guidanceScale: 1,
      baseRespacing: '2',
      upsampleRespacing: 'fast27',
      upsampleTemperature: 1,
      seed: 1,
    }
    await expect(
      clipGuidedTextToImage({ base, clip }, { ...params, clipGuidanceScale: -1 }),
    ).rejects.toThrow(/scale/)
    const otherSize: NoisedClip = {
      ...clip,
      tokenizer: clip.tokenizer,
      options: { ...clip.options, image_size: 32 },
      encodeText: (tokens, lens) => clip.encodeText(tokens, lens),
      imageGradient: (x, t, emb) => clip.imageGradient(x, t, emb),
    }
    await expect(
      clipGuidedTextToImage({ base, clip: otherSize }, { ...params, clipGuidanceScale: 3 }),
    ).rejects.toThrow(/32 px/)
    await expect(
      clipGuidedTextToImage({ base }, { ...params, clipGuidanceScale: 3 }),
    ).rejects.toThrow('CLIP guidance at scale 3 needs a noised CLIP model; none was given.')
  })
})
