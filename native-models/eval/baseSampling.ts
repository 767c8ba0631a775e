/**
 * GLIDE-mini's base sampled from a seed's x_T with classifier-free guidance, as the pipelines do:
 * the shared core of the base-stage tuning tools (baseDistance.ts, baseBackgrounds.ts).
 */
import { zSamplerName, type SamplerName } from '../../contract/generation'
import { createSampler } from '../../main/engine/diffusion/samplers'
import { runSamplingLoop } from '../../main/engine/diffusion/samplingLoop'
import type { GlideUNet } from '../../main/engine/glideModel'
import {
  diffusionFor,
  encodeCaptions,
  guidedStageModel,
  inpaintInputs,
} from '../../main/engine/pipelines/glidePipelines'
import { SeededNoise } from '../../main/engine/random/noise'
import { loadGlideUNet } from '../../main/inference/host/onnxGlideUNet'
import { listModels } from '../../main/models/modelFolder'

export interface BaseSetting {
  sampler: SamplerName
  respacing: string
  cutoff: number
  /** guidanceReuseBelow: the unconditional rows every other step below reuse · T. */
  reuse: number
}

/** "sampler:steps[:cutoff[:reuse]]", e.g. "ancestral:3,17+2:0.5". */
export function parseBaseSetting(text: string): BaseSetting {
  const [sampler = '', respacing = '', cutoff = '0', reuse = '0'] = text.split(':')
  return {
    sampler: zSamplerName.parse(sampler),
    respacing,
    cutoff: Number(cutoff),
    reuse: Number(reuse),
  }
}

/** The base model of a models dir (the inpainting base when there is one), loaded as the app does. */
export async function loadEvalBase(modelsDir: string): Promise<GlideUNet> {
  const { models } = await listModels(modelsDir)
  const baseDir =
    models.find((model) => model.manifest.kind === 'base-inpaint')?.dir ??
    models.find((model) => model.manifest.kind === 'base')?.dir
  if (!baseDir) throw new Error(`No base model in ${modelsDir}`)
  return loadGlideUNet(baseDir)
}

/** The conditional rows of one guided base run: [rows, 3, S, S] in [-1, 1]. */
export async function guidedBaseSamples(
  unet: GlideUNet,
  prompt: string,
  rows: number,
  seed: number,
  guidance: number,
  setting: BaseSetting,
): Promise<Float32Array> {
  const size = unet.options.image_size
  const plane = 3 * size * size
  const pairedText = await encodeCaptions(unet, [
    ...new Array<string>(rows).fill(prompt),
    ...new Array<string>(rows).fill(''),
  ])
  const noise = new SeededNoise(seed)
  const samples = await runSamplingLoop({
    diffusion: diffusionFor(unet, setting.respacing),
    sampler: createSampler(setting.sampler),
    shape: { batch: 2 * rows, channels: 3, height: size, width: size },
    xT: noise.normal(2 * rows * plane),
    noise,
    model: guidedStageModel(
      unet,
      pairedText,
      guidance,
      inpaintInputs(undefined, size, 2 * rows),
      setting.cutoff,
      setting.reuse,
    ),
  })
  return samples.slice(0, rows * plane)
}
