import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ModelSummary } from '../../../contract/ipc'
import type { ModelManifest } from '../../../contract/model'
import { InferenceHostClient } from '../../../main/inference/client/hostClient'
import { createRouter } from '../../../main/ipc/router'
import { createServices } from '../../../main/ipc/services'
import { chooseModels } from '../../../main/jobs/modelChoice'
import { createNodeModelRegistry } from '../../../main/jobs/nodeModels'
import { writeManifest } from '../../../main/models/modelFolder'
import { SettingsStore } from '../../../main/settings/settingsStore'
import { baseManifest } from '../models/manifestFixtures'

/**
 * models.list over real model folders (the user's dir and the bundled GLIDE-mini), through the
 * router that validates every result against the contract, as the app and browser mode call it.
 */

let work: string
let modelsDir: string
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'glide-node-models-'))
  modelsDir = join(work, 'models')
  mkdirSync(modelsDir)
})
afterEach(() => rmSync(work, { recursive: true, force: true }))

async function makeModel(manifest: ModelManifest): Promise<void> {
  const dir = join(modelsDir, manifest.id)
  mkdirSync(dir)
  for (const name of Object.values(manifest.files)) writeFileSync(join(dir, name), 'onnx')
  await writeManifest(dir, manifest)
}

/** Writes model.json as given, unchecked: what a hand-edited or hostile folder holds. */
function writeRawModel(id: string, manifest: unknown): void {
  const dir = join(modelsDir, id)
  mkdirSync(dir)
  writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest))
}

async function listThroughRouter() {
  const settings = await SettingsStore.open(join(work, 'config'))
  const host = new InferenceHostClient(() => {
    throw new Error('no host in these tests')
  })
  const registry = createNodeModelRegistry(() => modelsDir)
  const { handlers } = createServices({
    mode: 'desktop',
    version: '0.0.0',
    settings,
    host,
    models: registry,
    emit: () => undefined,
  })
  const route = createRouter(handlers, () => true)
  return { result: await route('models.list', {}, null), registry }
}

describe('models.list over model folders', () => {
  it('lists every model when one folder declares image_size 5000, marking that one', async () => {
    await makeModel(baseManifest({ id: 'my-base' }))
    const huge = baseManifest({ id: 'huge-base' })
    writeRawModel('huge-base', { ...huge, options: { ...huge.options, image_size: 5000 } })

    const { result } = await listThroughRouter()
    expect(result.ok).toBe(true)
    const { models, preferred } = (
      result as { value: { models: ModelSummary[]; preferred: { base: string | null } } }
    ).value
    const byId = new Map(models.map((model) => [model.id, model]))
    expect(byId.get('my-base')?.problem).toBeUndefined()
    // The bundled GLIDE-mini is still there beside the odd folder.
    expect(byId.get('glide-mini-base')?.problem).toBeUndefined()
    expect(byId.get('huge-base')?.problem).toContain('image_size must be at most 4096')
    expect(preferred.base).toBe('my-base')
  })

  it('never gives a job an unusable model, and says why when one is asked for', async () => {
    // An odd folder that would be "best" by its kind and id, and a usable model of another id.
    const broken = baseManifest({ id: 'glide-base' })
    writeRawModel('glide-base', { ...broken, files: { unet: 'missing.onnx' } })
    await makeModel(baseManifest({ id: 'my-base' }))

    const { registry } = await listThroughRouter()
    const installed = await registry.list()
    expect(installed.find((model) => model.id === 'glide-base')?.problem).toBeDefined()
    expect(chooseModels(installed, 'generate', {}).base.id).toBe('my-base')
    expect(() => chooseModels(installed, 'generate', { modelId: 'glide-base' })).toThrow(
      expect.objectContaining({
        code: 'MODEL_INVALID',
        message: expect.stringContaining('Model "glide-base" cannot be used') as string,
      }),
    )
  })

  it('does not call a folder official because it is named glide-base', async () => {
    await makeModel(baseManifest({ id: 'glide-base' }))
    const { registry } = await listThroughRouter()
    const installed = await registry.list()
    expect(installed.find((model) => model.id === 'glide-base')).toMatchObject({
      official: false,
    })
  })
})
