import { describe, expect, it } from 'vitest'
import { chooseModels, type InstalledModel } from '../../../main/jobs/modelChoice'
import { createModelRegistry } from '../../../main/jobs/modelRegistry'

const model = (
  id: string,
  kind: InstalledModel['kind'],
  official = false,
  modelsDir = '/user',
): InstalledModel => ({
  id,
  name: id,
  kind,
  official,
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
    expect(chooseModels(installed, 'inpaint', {})).toMatchObject({
      base: { id: 'base-inpaint' },
      upsample: null,
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
    expect(() => chooseModels(installed, 'generate', { modelId: 'upsample' })).toThrow(/needs base/)
    expect(() => chooseModels([], 'inpaint', {})).toThrow(
      expect.objectContaining({ code: 'MODEL_NOT_FOUND' }),
    )
  })

  it("lists the user's dir before bundled ones, and an id once", async () => {
    const registry = createModelRegistry(
      () => ['/user', '/bundled'],
      (dir) =>
        Promise.resolve(
          dir === '/user'
            ? [{ id: 'a', name: 'A', kind: 'base' as const, official: false }]
            : [
                { id: 'a', name: 'bundled A', kind: 'base' as const, official: false },
                { id: 'b', name: 'B', kind: 'base' as const, official: false },
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
