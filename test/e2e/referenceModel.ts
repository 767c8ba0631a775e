import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { GlideOptions } from '../../main/engine/glideOptions'
import { importCheckpoint } from '../../main/models/importer'

const fixture = fileURLToPath(new URL('../fixtures/glide-reference/unet-base/', import.meta.url))
export const referenceCheckpoint = join(fixture, 'checkpoint.pt')
export const referenceConfig = join(fixture, 'config.json')
export const referenceModelId = 'reference-base'

/**
 * A models dir holding the small reference base model (random weights, the real architecture),
 * imported the way users import checkpoints: real ONNX graphs, real sessions, noisy pictures.
 */
export async function referenceModelsDir(): Promise<string> {
  const modelsDir = mkdtempSync(join(tmpdir(), 'glide-models-'))
  const { options } = JSON.parse(readFileSync(referenceConfig, 'utf8')) as {
    options: Partial<GlideOptions>
  }
  await importCheckpoint({
    kind: 'base',
    checkpointPath: referenceCheckpoint,
    options,
    outDir: join(modelsDir, referenceModelId),
  })
  return modelsDir
}
