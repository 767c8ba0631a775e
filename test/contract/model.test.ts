import { describe, expect, it } from 'vitest'
import { modelFormat, zModelManifest } from '../../contract/model'
import { officialOptions } from '../../main/engine/glideOptions'
import { baseManifest } from '../main/models/manifestFixtures'

const clipImage = {
  format: modelFormat,
  id: 'clip-image',
  name: 'Noised CLIP image encoder',
  kind: 'clip-image',
  options: {
    logit_scale: 100,
    beta_schedule: 'squaredcos_cap_v2',
    n_timesteps: 1000,
    image_size: 64,
    patch_size: 4,
    n_vocab: 65536,
    max_text_len: 77,
    n_embd: 512,
    n_head_state_text: 64,
    n_head_text: 8,
    n_xf_blocks_text: 12,
    n_head_state_image: 64,
    n_head_image: 12,
    n_xf_blocks_image: 12,
  },
  tokenizer: 'clip-bpe',
  diffusion: { steps: 1000, noiseSchedule: 'squaredcos_cap_v2' },
  files: { image_encoder: 'image_encoder.onnx', image_grad: 'image_grad.onnx' },
  source: { checkpoint: 'clip_image_enc.pt', sha256: 'b'.repeat(64) },
  license: 'MIT',
}

const issuesOf = (value: unknown): string[] => {
  const result = zModelManifest.safeParse(value)
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'))
}

describe('zModelManifest', () => {
  it('accepts a U-Net manifest with the official options and a CLIP manifest', () => {
    expect(baseManifest().kind).toBe('base')
    expect(zModelManifest.parse(clipImage).kind).toBe('clip-image')
  })

  it('refuses file names that are paths', () => {
    const good = baseManifest()
    for (const name of [
      '../unet.onnx',
      '/etc/passwd',
      'sub/unet.onnx',
      'a\\b',
      '.hidden',
      'x..y',
      '',
    ]) {
      expect(issuesOf({ ...good, files: { ...good.files, unet: name } })).toContain('files.unet')
    }
  })

  it('requires the files of the kind', () => {
    const good = baseManifest()
    const { unet: _dropped, ...withoutUnet } = good.files
    expect(issuesOf({ ...good, files: withoutUnet })).toContain('files.unet')
    const { image_grad: _grad, ...clipFiles } = clipImage.files
    expect(issuesOf({ ...clipImage, files: clipFiles })).toContain('files.image_grad')
  })

  it('refuses a wrong format, unknown fields, a bad sha256 and a tokenizer of the wrong family', () => {
    const good = baseManifest()
    expect(issuesOf({ ...good, format: 'glide-studio/model@2' })).toContain('format')
    expect(issuesOf({ ...good, extra: 1 })).not.toEqual([])
    expect(issuesOf({ ...good, source: { checkpoint: 'base.pt', sha256: 'xyz' } })).toContain(
      'source.sha256',
    )
    expect(issuesOf({ ...good, tokenizer: 'clip-bpe' })).toContain('tokenizer')
    expect(issuesOf({ ...good, options: { ...good.options, surprise: true } })).not.toEqual([])
  })

  it('refuses options that contradict the kind or the diffusion block', () => {
    const good = baseManifest()
    expect(issuesOf({ ...good, kind: 'base-inpaint' })).toContain('options')
    expect(issuesOf({ ...good, diffusion: { steps: 1000, noiseSchedule: 'linear' } })).toContain(
      'diffusion',
    )
  })

  it('takes a low-res start step for upsamplers only, below the step count', () => {
    const upsampler = {
      ...baseManifest(),
      kind: 'upsample',
      options: officialOptions('upsample'),
      diffusion: { steps: 1000, noiseSchedule: 'linear' },
    }
    const withStart = (step: unknown): unknown => ({
      ...upsampler,
      sampling: { upsampleFromLowResAt: step },
    })
    expect(issuesOf(upsampler)).toEqual([])
    expect(issuesOf(withStart(500))).toEqual([])
    for (const bad of [1000, 0, 2.5, '500']) {
      expect(issuesOf(withStart(bad))).toContain('sampling.upsampleFromLowResAt')
    }
    expect(issuesOf({ ...baseManifest(), sampling: { upsampleFromLowResAt: 500 } })).toContain(
      'sampling.upsampleFromLowResAt',
    )
    expect(issuesOf({ ...upsampler, sampling: { startAt: 500 } })).not.toEqual([])
  })
})
