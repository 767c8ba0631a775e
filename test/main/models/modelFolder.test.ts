import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { GlideError } from '../../../contract/errors'
import type { ModelManifest } from '../../../contract/model'
import { zModelSummary } from '../../../contract/ipc'
import {
  listModels,
  listModelSummaries,
  modelFolderPath,
  readModelFolder,
  writeManifest,
} from '../../../main/models/modelFolder'
import { baseManifest } from './manifestFixtures'

let modelsDir: string
beforeEach(() => {
  modelsDir = mkdtempSync(join(tmpdir(), 'models-'))
})
afterEach(() => rmSync(modelsDir, { recursive: true, force: true }))

async function makeModel(
  id: string,
  manifest: ModelManifest = baseManifest({ id }),
): Promise<string> {
  const dir = join(modelsDir, id)
  mkdirSync(dir)
  for (const name of Object.values(manifest.files)) writeFileSync(join(dir, name), 'onnx')
  await writeManifest(dir, manifest)
  return dir
}

async function failure(promise: Promise<unknown>): Promise<GlideError> {
  const error = await promise.then(
    () => new Error('accepted'),
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(GlideError)
  return error as GlideError
}

describe('model folders', () => {
  it('writes a manifest that reads back identically, with absolute file paths', async () => {
    const dir = await makeModel('glide-base')
    expect(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'))).toEqual(
      baseManifest({ id: 'glide-base' }),
    )
    const folder = await readModelFolder(dir)
    expect(folder.manifest).toEqual(baseManifest({ id: 'glide-base' }))
    expect(folder.files.unet).toBe(join(dir, 'unet.onnx'))
  })

  it('refuses to write an invalid manifest', async () => {
    const invalid = { ...baseManifest(), files: { unet: '../x' } } as ModelManifest
    expect((await failure(writeManifest(modelsDir, invalid))).code).toBe('MODEL_INVALID')
  })

  it('reports a missing folder, a missing file, a symlinked file and an id mismatch', async () => {
    expect((await failure(readModelFolder(join(modelsDir, 'nope')))).code).toBe('MODEL_NOT_FOUND')

    const missing = await makeModel('missing-file')
    rmSync(join(missing, 'unet.onnx'))
    const error = await failure(readModelFolder(missing))
    expect(error.code).toBe('MODEL_INVALID')
    expect(error.message).toContain('"unet.onnx" is missing')

    const linked = await makeModel('linked')
    const outside = join(modelsDir, 'outside.onnx')
    writeFileSync(outside, 'x')
    rmSync(join(linked, 'unet.onnx'))
    symlinkSync(outside, join(linked, 'unet.onnx'))
    expect((await failure(readModelFolder(linked))).message).toContain('not a regular file')

    const renamed = await makeModel('renamed', baseManifest({ id: 'other-id' }))
    expect((await failure(readModelFolder(renamed))).message).toContain('"other-id"')
  })

  it('rejects manifests that are not JSON or not valid', async () => {
    const dir = join(modelsDir, 'broken')
    mkdirSync(dir)
    writeFileSync(join(dir, 'model.json'), '{ nope')
    expect((await failure(readModelFolder(dir))).message).toContain('not valid JSON')
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'glide-studio/model@1' }))
    expect((await failure(readModelFolder(dir))).code).toBe('MODEL_INVALID')
  })

  it('lists valid folders sorted and skips invalid ones with a reason', async () => {
    await makeModel('zeta')
    await makeModel('alpha')
    mkdirSync(join(modelsDir, 'empty'))
    mkdirSync(join(modelsDir, 'alpha.tmp-123abc'))
    writeFileSync(join(modelsDir, 'stray-file.txt'), 'x')
    symlinkSync(join(modelsDir, 'alpha'), join(modelsDir, 'linked'))
    const { models, skipped } = await listModels(modelsDir)
    expect(models.map((model) => model.manifest.id)).toEqual(['alpha', 'zeta'])
    expect(skipped.map((entry) => entry.dir)).toEqual([
      join(modelsDir, 'alpha.tmp-123abc'),
      join(modelsDir, 'empty'),
      join(modelsDir, 'linked'),
    ])
    expect(skipped[0]!.reason).toContain('unfinished import')
    expect(skipped[1]!.reason).toContain('model.json')
    expect(skipped[2]!.reason).toContain('symbolic link')
  })

  it('lists nothing when the models directory does not exist', async () => {
    expect(await listModels(join(modelsDir, 'absent'))).toEqual({ models: [], skipped: [] })
  })

  it('refuses ids that would leave the models directory', () => {
    expect(() => modelFolderPath(modelsDir, '../etc')).toThrow(GlideError)
    expect(modelFolderPath(modelsDir, 'glide-base')).toBe(join(modelsDir, 'glide-base'))
  })

  it('lists every folder for models.list: one odd model.json hides none of the others', async () => {
    await makeModel('alpha')
    await makeModel('zeta')
    // The finding: image_size 5000 made models.list fail as INTERNAL for every model.
    const huge = baseManifest({ id: 'huge' })
    const hugeDir = join(modelsDir, 'huge')
    mkdirSync(hugeDir)
    writeFileSync(
      join(hugeDir, 'model.json'),
      JSON.stringify({ ...huge, name: 'Huge one', options: { ...huge.options, image_size: 5000 } }),
    )
    mkdirSync(join(modelsDir, 'not json'))
    writeFileSync(join(modelsDir, 'not json', 'model.json'), '{ nope')

    const summaries = await listModelSummaries(modelsDir)
    // Every entry is what the models.list contract accepts (the output is validated there).
    for (const summary of summaries) expect(zModelSummary.parse(summary)).toEqual(summary)
    expect(summaries.map((summary) => [summary.id, summary.problem === undefined])).toEqual([
      ['alpha', true],
      ['zeta', true],
      ['huge', false],
      ['not_json', false],
    ])
    expect(summaries[2]).toMatchObject({
      name: 'Huge one',
      kind: 'base',
      official: false,
      problem: expect.stringContaining('image_size must be at most 4096') as string,
    })
    expect(summaries[3]).toMatchObject({
      name: 'not json',
      problem: expect.stringContaining('not valid JSON') as string,
    })
    // Names and ids are read as the folders say; nothing is called official for its id.
    expect(summaries.every((summary) => !summary.official)).toBe(true)
  })

  it('never fails the list for any odd model.json, and keeps the good model listed', async () => {
    await makeModel('good')
    const valid = baseManifest({ id: 'odd' })
    const oddValue = fc.oneof(
      fc.integer({ min: -1e9, max: 1e9 }),
      fc.double(),
      fc.string({ maxLength: 300 }),
      fc.constant(null),
      fc.boolean(),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
    )
    const field = fc.constantFrom('id', 'name', 'kind', 'format', 'files', 'source', 'tokenizer')
    const option = fc.constantFrom('image_size', 'diffusion_steps', 'channel_mult', 'inpaint')
    let tried = 0
    await fc.assert(
      fc.asyncProperty(
        field,
        option,
        oddValue,
        oddValue,
        async (key, optionKey, value, optionValue) => {
          tried += 1
          const dir = join(modelsDir, 'odd')
          rmSync(dir, { recursive: true, force: true })
          mkdirSync(dir)
          const manifest = {
            ...valid,
            [key]: value,
            options: { ...valid.options, [optionKey]: optionValue },
          }
          writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest))
          const summaries = await listModelSummaries(modelsDir)
          for (const summary of summaries) zModelSummary.parse(summary)
          expect(summaries.find((summary) => summary.id === 'good')?.problem).toBeUndefined()
          expect(summaries.find((summary) => summary.id === 'odd')?.problem).toBeDefined()
        },
      ),
      { numRuns: 60, seed: 17 },
    )
    expect(tried).toBe(60)
  })
})
