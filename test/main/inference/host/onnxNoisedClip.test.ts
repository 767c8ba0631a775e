import { mkdtempSync, readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { parseClipConfigText } from '../../../../main/engine/clip/clipOptions'
import { InferenceHostClient, type HostStep } from '../../../../main/inference/client/hostClient'
import { nodeHostLauncher } from '../../../../main/inference/client/nodeHostLauncher'
import { loadNoisedClip } from '../../../../main/inference/host/onnxNoisedClip'
import type { HostJob } from '../../../../main/inference/protocol'
import { importClipCheckpoint } from '../../../../main/models/importer'
import { referenceModelId, referenceModelsDir } from '../../../e2e/referenceModel'

const clipTiny = fileURLToPath(
  new URL('../../../fixtures/glide-reference/clip-tiny/', import.meta.url),
)
let modelsDir: string
let clipDir: string
let host: InferenceHostClient

beforeAll(async () => {
  modelsDir = await referenceModelsDir()
  clipDir = mkdtempSync(join(tmpdir(), 'glide-clip-models-'))
  const options = parseClipConfigText(
    readFileSync(join(clipTiny, 'config.yaml'), 'utf8'),
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
      outDir: join(clipDir, `tiny-${kind}`),
    })
  }
  host = new InferenceHostClient(nodeHostLauncher(), { restartDelayMs: 50 })
  await host.ensureStarted()
})

afterAll(async () => {
  await host?.dispose()
  await rm(clipDir, { recursive: true, force: true })
  await rm(modelsDir, { recursive: true, force: true })
})

function clipJob(steps: number): HostJob {
  return {
    kind: 'generate',
    settings: {
      prompt: 'a red cube',
      guidanceScale: 3,
      baseRespacing: String(steps),
      upsampleRespacing: 'fast27',
      upsampleTemperature: 0.997,
      seed: 4,
      batchSize: 1,
      guidanceMode: 'clip',
      clipGuidanceScale: 3,
    },
    baseModel: { modelsDir, id: referenceModelId },
    upsampleModel: null,
    clipModels: {
      image: { modelsDir: clipDir, id: 'tiny-clip-image' },
      text: { modelsDir: clipDir, id: 'tiny-clip-text' },
    },
    executionProvider: 'cpu',
    previewIntervalMs: 0,
  }
}

describe('CLIP guidance in the inference host (child process, real ONNX Runtime)', () => {
  it('runs a CLIP-guided job with a step event and preview per step, naming the CLIP models', async () => {
    const steps: HostStep[] = []
    const result = await host.run('clip-1', clipJob(4), (step) => steps.push(step))
    expect(steps.map((step) => step.step)).toEqual([1, 2, 3, 4])
    expect(steps.every((step) => step.preview?.data.length === 64 * 64 * 4)).toBe(true)
    expect(result.modelIds).toEqual([referenceModelId, 'tiny-clip-image', 'tiny-clip-text'])
    expect(result.images[0]?.data).toHaveLength(64 * 64 * 4)
  })

  it('stops a cancelled CLIP-guided job within one step', async () => {
    const seen: number[] = []
    let cancelledAt = 0
    const run = host.run('clip-2', clipJob(40), (step) => {
      seen.push(step.step)
      if (step.step === 2) {
        cancelledAt = step.step
        host.cancel('clip-2')
      }
    })
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(Math.max(...seen)).toBeLessThanOrEqual(cancelledAt + 1)
  })
})

describe('loadNoisedClip', () => {
  it('refuses swapped folders, tokens outside the vocabulary and timesteps outside the schedule', async () => {
    await expect(
      loadNoisedClip(join(clipDir, 'tiny-clip-text'), join(clipDir, 'tiny-clip-image'), {
        cacheDir: null,
      }),
    ).rejects.toMatchObject({ code: 'MODEL_INVALID' })
    const clip = await loadNoisedClip(
      join(clipDir, 'tiny-clip-image'),
      join(clipDir, 'tiny-clip-text'),
      {
        cacheDir: null,
      },
    )
    try {
      const row = new Array<number>(77).fill(0)
      await expect(clip.encodeText([row.map(() => 49408)], [2])).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      })
      await expect(clip.encodeText([row], [0])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
      const x = new Float32Array(3 * 64 * 64)
      await expect(clip.imageGradient(x, [1000], new Float32Array(32))).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      })
      const grad = await clip.imageGradient(x, [10], new Float32Array(32).fill(0.1))
      expect(grad).toHaveLength(3 * 64 * 64)
    } finally {
      await clip.dispose()
    }
  })
})
