import { describe, expect, it } from 'vitest'
import { chooseModels, type InstalledModel } from '../../../main/jobs/modelChoice'
import { createModelRegistry } from '../../../main/jobs/modelRegistry'

const model = (
  id: string,
  kind: InstalledModel['kind'],
  official = false,
  modelsDir = '/user',
  imageSize = kind.startsWith('upsample') ? 256 : 64,
): InstalledModel => ({
  id,
  name: id,
  kind,
  official,
  imageSize,
  modelsDir,
})

describe('model choice', () => {
  const installed = [
    model('mini-base', 'base', false, '/bundled'),
    model('base', 'base', true),
    model('upsample', 'upsample', true),
    model('base-inpaint', 'base-inpaint', true),
  ]

  it('prefers official weights, and pairs the upsampler of the same task', () => {
    expect(chooseModels(installed, 'generate', {})).toMatchObject({
      base: { id: 'base' },
      upsample: { id: 'upsample' },
    })
    // No upsample-inpaint installed: the plain upsampler, with the known region forced back.
    expect(chooseModels(installed, 'inpaint', {})).toMatchObject({
      base: { id: 'base-inpaint' },
      upsample: { id: 'upsample' },
    })
    expect(chooseModels(installed.slice(0, 1), 'generate', {})).toMatchObject({
      base: { id: 'mini-base' },
      upsample: null,
    })
  })

  it('honours explicit choices and refuses a missing model or the wrong kind', () => {
    expect(
      chooseModels(installed, 'generate', { modelId: 'mini-base', upsampleModelId: null }),
    ).toMatchObject({
      base: { id: 'mini-base', modelsDir: '/bundled' },
      upsample: null,
    })
    expect(() => chooseModels(installed, 'generate', { modelId: 'nope' })).toThrow(
      /No model "nope"/,
    )
    expect(() => chooseModels(installed, 'generate', { modelId: 'upsample' })).toThrow(
      /needs base or base-inpaint/,
    )
    expect(() => chooseModels([], 'inpaint', {})).toThrow(
      expect.objectContaining({ code: 'MODEL_NOT_FOUND' }),
    )
  })

  it('falls back to inpainting models for text to image, and to plain ones for inpainting', () => {
    // GLIDE-mini ships base-inpaint and upsample-inpaint only.
    const mini = [
      model('mini', 'base-inpaint', false, '/bundled'),
      model('mini-up', 'upsample-inpaint', false, '/bundled'),
    ]
    expect(chooseModels(mini, 'generate', {})).toMatchObject({
      base: { id: 'mini' },
      upsample: { id: 'mini-up' },
    })
    expect(chooseModels(mini, 'generate', { modelId: 'mini' }).base.id).toBe('mini')
    // A plain base model is preferred for text to image even when an inpainting one is official.
    const both = [model('plain', 'base'), model('official-inpaint', 'base-inpaint', true)]
    expect(chooseModels(both, 'generate', {}).base.id).toBe('plain')
    expect(chooseModels(both, 'inpaint', {}).base.id).toBe('official-inpaint')
    expect(chooseModels([model('plain', 'base')], 'inpaint', {}).base.id).toBe('plain')
    // Refine keeps a known region like inpainting: the same preference.
    expect(chooseModels(both, 'refine', {}).base.id).toBe('official-inpaint')
    expect(chooseModels([model('plain', 'base')], 'refine', {}).base.id).toBe('plain')
  })

  it('pairs only an upsampler that makes 4× the base size', () => {
    const mixed = [
      model('reference', 'base', false, '/user', 64),
      model('mini-up', 'upsample-inpaint', false, '/bundled', 128),
      model('mini', 'base-inpaint', false, '/bundled', 32),
    ]
    expect(chooseModels(mixed, 'generate', {})).toMatchObject({
      base: { id: 'reference' },
      upsample: null,
    })
    expect(chooseModels(mixed, 'generate', { modelId: 'mini' }).upsample?.id).toBe('mini-up')
    expect(() =>
      chooseModels(mixed, 'generate', { modelId: 'reference', upsampleModelId: 'mini-up' }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it("lists the user's dir before bundled ones, and an id once", async () => {
    const registry = createModelRegistry(
      () => ['/user', '/bundled'],
      (dir) =>
        Promise.resolve(
          dir === '/user'
            ? [{ id: 'a', name: 'A', kind: 'base' as const, official: false, imageSize: 64 }]
            : [
                {
                  id: 'a',
                  name: 'bundled A',
                  kind: 'base' as const,
                  official: false,
                  imageSize: 64,
                },
                { id: 'b', name: 'B', kind: 'base' as const, official: false, imageSize: 64 },
              ],
        ),
    )
    const listed = await registry.list()
    expect(listed.map((entry) => [entry.id, entry.modelsDir, entry.name])).toEqual([
      ['a', '/user', 'A'],
      ['b', '/bundled', 'B'],
    ])
  })
})
