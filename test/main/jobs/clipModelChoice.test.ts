import { describe, expect, it } from 'vitest'
import { GlideError } from '../../../contract/errors'
import { chooseClipModels } from '../../../main/jobs/clipModelChoice'
import type { InstalledModel } from '../../../main/jobs/modelChoice'

function model(id: string, kind: InstalledModel['kind'], extra: Partial<InstalledModel> = {}) {
  return { id, name: id, kind, official: false, imageSize: 64, modelsDir: '/m', ...extra }
}

describe('chooseClipModels', () => {
  it('prefers the official pair, else the first usable image and text encoders', () => {
    const mini = [model('mini-clip-image', 'clip-image'), model('mini-clip-text', 'clip-text')]
    const official = [
      model('glide-clip-image', 'clip-image', { official: true }),
      model('glide-clip-text', 'clip-text', { official: true }),
    ]
    expect(chooseClipModels([model('base', 'base'), ...mini, ...official], 64)).toMatchObject({
      image: { id: 'glide-clip-image' },
      text: { id: 'glide-clip-text' },
    })
    expect(
      chooseClipModels(
        [model('broken', 'clip-image', { problem: 'image_grad file is missing' }), ...mini],
        64,
      ),
    ).toMatchObject({ image: { id: 'mini-clip-image' }, text: { id: 'mini-clip-text' } })
  })

  it('says how to install a CLIP model when none is', () => {
    let error: unknown
    try {
      chooseClipModels([model('base', 'base'), model('only-image', 'clip-image')], 64)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(GlideError)
    expect((error as GlideError).code).toBe('MODEL_NOT_FOUND')
    expect((error as GlideError).message).toContain('a text encoder is not installed')
    expect((error as GlideError).message).toContain('glide-studio models download clip')
  })

  it("picks the CLIP made for the base model's image size, with its own text encoder", () => {
    const mini = [
      model('glide-mini-clip-image', 'clip-image', { imageSize: 32 }),
      model('other-clip-text', 'clip-text'),
      model('glide-mini-clip-text', 'clip-text', { imageSize: 32 }),
    ]
    const official = [
      model('glide-clip-image', 'clip-image', { official: true }),
      model('glide-clip-text', 'clip-text', { official: true }),
    ]
    expect(chooseClipModels([...official, ...mini], 32)).toMatchObject({
      image: { id: 'glide-mini-clip-image' },
      text: { id: 'glide-mini-clip-text' },
    })
    expect(chooseClipModels([...mini, ...official], 64)).toMatchObject({
      image: { id: 'glide-clip-image' },
      text: { id: 'glide-clip-text' },
    })
    expect(() => chooseClipModels(mini, 64)).toThrow(
      'an image encoder for 64 px images (installed: 32 px)',
    )
  })
})
