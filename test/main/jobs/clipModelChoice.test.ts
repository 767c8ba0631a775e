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
    expect(chooseClipModels([model('base', 'base'), ...mini, ...official])).toMatchObject({
      image: { id: 'glide-clip-image' },
      text: { id: 'glide-clip-text' },
    })
    expect(
      chooseClipModels([
        model('broken', 'clip-image', { problem: 'image_grad file is missing' }),
        ...mini,
      ]),
    ).toMatchObject({ image: { id: 'mini-clip-image' }, text: { id: 'mini-clip-text' } })
  })

  it('says how to install a CLIP model when none is', () => {
    let error: unknown
    try {
      chooseClipModels([model('base', 'base'), model('only-image', 'clip-image')])
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(GlideError)
    expect((error as GlideError).code).toBe('MODEL_NOT_FOUND')
    expect((error as GlideError).message).toContain('a text encoder is not installed')
    expect((error as GlideError).message).toContain('glide-studio models download clip')
  })
})
