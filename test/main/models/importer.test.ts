import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { GlideError } from '../../../contract/errors'
import { zModelManifest } from '../../../contract/model'
import type { GlideOptions } from '../../../main/engine/glideOptions'
import { loadGlideUNet } from '../../../main/inference/host/onnxGlideUNet'
import { importCheckpoint, installOfficialModel } from '../../../main/models/importer'
import { listModels, readModelFolder } from '../../../main/models/modelFolder'
import { modelBaseUrlEnv } from '../../../main/models/officialModels'
import { maxAbsDifference } from '../../helpers/npy'
import { loadReferenceCase } from '../engine/onnx/referenceCases'

const reference = join(import.meta.dirname, '../../fixtures/glide-reference/unet-base')
const checkpoints = join(import.meta.dirname, '../../fixtures/checkpoints')
const baseCheckpoint = join(reference, 'checkpoint.pt')
const baseOptions = (
  JSON.parse(readFileSync(join(reference, 'config.json'), 'utf8')) as { options: GlideOptions }
).options

let modelsDir: string
beforeEach(() => {
  modelsDir = mkdtempSync(join(tmpdir(), 'import-'))
})
afterEach(() => rmSync(modelsDir, { recursive: true, force: true }))

async function failure(promise: Promise<unknown>): Promise<GlideError> {
  const error = await promise.then(
    () => new Error('the import succeeded'),
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(GlideError)
  return error as GlideError
}

describe('importCheckpoint', () => {
  it('turns the reference base checkpoint into a valid model folder', async () => {
    const outDir = join(modelsDir, 'tiny-base')
    const stages: string[] = []
    const folder = await importCheckpoint({
      kind: 'base',
      checkpointPath: baseCheckpoint,
      options: baseOptions,
      outDir,
      license: 'MIT',
      onStage: (stage) => stages.push(stage),
    })
    expect(stages).toEqual(['checking', 'hashing', 'converting', 'finishing'])
    expect(readdirSync(modelsDir)).toEqual(['tiny-base'])
    expect(readdirSync(outDir).sort()).toEqual([
      'model.json',
      'text_encoder.onnx',
      'text_encoder.onnx.data',
      'unet.onnx',
      'unet.onnx.data',
    ])
    const manifest = zModelManifest.parse(
      JSON.parse(readFileSync(join(outDir, 'model.json'), 'utf8')),
    )
    expect(manifest).toMatchObject({
      id: 'tiny-base',
      kind: 'base',
      options: baseOptions,
      tokenizer: 'gpt2-bpe',
      diffusion: { steps: 1000, noiseSchedule: 'squaredcos_cap_v2' },
      files: {
        text_encoder: 'text_encoder.onnx',
        text_encoder_data: 'text_encoder.onnx.data',
        unet: 'unet.onnx',
        unet_data: 'unet.onnx.data',
      },
      source: {
        checkpoint: 'checkpoint.pt',
        sha256: createHash('sha256').update(readFileSync(baseCheckpoint)).digest('hex'),
      },
      license: 'MIT',
    })
    expect(folder).toEqual(await readModelFolder(outDir))
    // float32 weights: the external data holds every parameter of the checkpoint, 4 bytes each.
    const dataBytes =
      readFileSync(join(outDir, 'unet.onnx.data')).length +
      readFileSync(join(outDir, 'text_encoder.onnx.data')).length
    expect(dataBytes).toBeGreaterThan(0.9 * readFileSync(baseCheckpoint).length)
  })

  it('makes a folder the inference host loads from model.json and that reproduces GLIDE', async () => {
    const outDir = join(modelsDir, 'tiny-base')
    await importCheckpoint({
      kind: 'base',
      checkpointPath: baseCheckpoint,
      options: baseOptions,
      outDir,
    })
    const unet = await loadGlideUNet(outDir, { cacheDir: null })
    try {
      expect(unet.id).toBe('tiny-base')
      const reference = loadReferenceCase('base')
      const ctx = baseOptions.text_ctx
      const rows = <T>(data: ArrayLike<T>): T[][] =>
        Array.from({ length: reference.batch }, (_, row) =>
          Array.from(data).slice(row * ctx, (row + 1) * ctx),
        )
      const text = await unet.encodeText(
        rows(Array.from(reference.tokens, Number)),
        rows(Array.from(reference.mask, Boolean)),
      )
      const out = await unet.denoise({
        x: reference.x,
        timesteps: Array.from(reference.timesteps, Number),
        text,
      })
      expect(maxAbsDifference(out, reference.out)).toBeLessThan(1e-4)
    } finally {
      await unet.dispose()
    }
  })

  it('leaves no folder behind when the checkpoint is hostile', async () => {
    const outDir = join(modelsDir, 'evil')
    const error = await failure(
      importCheckpoint({
        kind: 'base',
        checkpointPath: join(checkpoints, 'refuse_posix_system.pt'),
        outDir,
      }),
    )
    expect(error.code).toBe('CHECKPOINT_REFUSED')
    expect(error.message).toContain('posix.system')
    expect(readdirSync(modelsDir)).toEqual([])
  })

  it('leaves no folder behind when the checkpoint does not fit the kind', async () => {
    const error = await failure(
      importCheckpoint({
        kind: 'base-inpaint',
        checkpointPath: baseCheckpoint,
        options: { ...baseOptions, inpaint: true },
        outDir: join(modelsDir, 'wrong-kind'),
      }),
    )
    expect(error.code).toBe('CHECKPOINT_MISMATCH')
    expect(error.message).toContain('input_blocks.0.0.weight')
    expect(readdirSync(modelsDir)).toEqual([])

    const official = await failure(
      importCheckpoint({
        kind: 'base',
        checkpointPath: baseCheckpoint,
        outDir: join(modelsDir, 'x'),
      }),
    )
    expect(official.code).toBe('CHECKPOINT_MISMATCH')
    expect(readdirSync(modelsDir)).toEqual([])
  })

  it('refuses an existing folder without touching it', async () => {
    const outDir = join(modelsDir, 'taken')
    mkdirSync(outDir)
    writeFileSync(join(outDir, 'keep.txt'), 'mine')
    const error = await failure(
      importCheckpoint({
        kind: 'base',
        checkpointPath: baseCheckpoint,
        options: baseOptions,
        outDir,
      }),
    )
    expect(error.message).toContain('already exists')
    expect(readdirSync(modelsDir)).toEqual(['taken'])
    expect(readFileSync(join(outDir, 'keep.txt'), 'utf8')).toBe('mine')
  })

  it('refuses bad ids, options that contradict the kind, and unknown options', async () => {
    const attempt = (overrides: Record<string, unknown>) =>
      failure(
        importCheckpoint({
          kind: 'base',
          checkpointPath: baseCheckpoint,
          outDir: join(modelsDir, 'ok'),
          ...overrides,
        }),
      )
    expect((await attempt({ outDir: join(modelsDir, '.hidden') })).code).toBe('INVALID_ARGUMENT')
    expect((await attempt({ id: 'other' })).code).toBe('INVALID_ARGUMENT')
    expect((await attempt({ options: { inpaint: true } })).message).toContain('contradict')
    expect((await attempt({ options: { num_channel: 3 } })).code).toBe('INVALID_ARGUMENT')
    expect(readdirSync(modelsDir)).toEqual([])
  })

  it('writes a low-res start into an upsampler manifest and refuses one for a base', async () => {
    const upsampleReference = join(
      import.meta.dirname,
      '../../fixtures/glide-reference/unet-upsample',
    )
    const upsampleOptions = (
      JSON.parse(readFileSync(join(upsampleReference, 'config.json'), 'utf8')) as {
        options: GlideOptions
      }
    ).options
    const folder = await importCheckpoint({
      kind: 'upsample',
      checkpointPath: join(upsampleReference, 'checkpoint.pt'),
      options: upsampleOptions,
      outDir: join(modelsDir, 'tiny-up'),
      sampling: { upsampleFromLowResAt: 500 },
    })
    expect(folder.manifest).toMatchObject({ sampling: { upsampleFromLowResAt: 500 } })
    const unet = await loadGlideUNet(folder.dir, { cacheDir: null })
    expect(unet.sampling).toEqual({ upsampleFromLowResAt: 500 })
    await unet.dispose()

    for (const [kind, step] of [
      ['base', 500],
      ['upsample', 1000],
    ] as const) {
      const error = await failure(
        importCheckpoint({
          kind,
          checkpointPath: baseCheckpoint,
          outDir: join(modelsDir, 'refused'),
          sampling: { upsampleFromLowResAt: step },
        }),
      )
      expect(error.code).toBe('INVALID_ARGUMENT')
    }
    expect(readdirSync(modelsDir)).toEqual(['tiny-up'])
  })

  it('reports a missing checkpoint and cleans up', async () => {
    const error = await failure(
      importCheckpoint({
        kind: 'base',
        checkpointPath: join(modelsDir, 'absent.pt'),
        outDir: join(modelsDir, 'absent'),
      }),
    )
    expect(error.code).toBe('IO_ERROR')
    expect(readdirSync(modelsDir)).toEqual([])
  })
})

describe('installOfficialModel', () => {
  const checkpointBytes = readFileSync(baseCheckpoint)
  const server = createServer((request, response) => {
    if (request.url !== '/base.pt') {
      response.writeHead(404)
      response.end()
      return
    }
    response.writeHead(200, { 'content-length': checkpointBytes.length })
    response.end(checkpointBytes)
  })
  let env: NodeJS.ProcessEnv
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    env = { [modelBaseUrlEnv]: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('downloads, imports as the official id and removes the downloaded checkpoint', async () => {
    const stages: string[] = []
    let lastProgress = 0
    const folder = await installOfficialModel({
      kind: 'base',
      modelsDir,
      options: baseOptions,
      env,
      onStage: (stage) => stages.push(stage),
      onProgress: (received) => (lastProgress = received),
    })
    expect(stages[0]).toBe('downloading')
    expect(lastProgress).toBe(checkpointBytes.length)
    expect(folder.manifest).toMatchObject({
      id: 'glide-base',
      name: 'GLIDE (filtered) base, 64 px',
      source: {
        checkpoint: 'base.pt',
        sha256: createHash('sha256').update(checkpointBytes).digest('hex'),
      },
    })
    expect(folder.manifest.license).toContain('MIT')
    expect(readdirSync(join(modelsDir, '.downloads'))).toEqual([])
    const { models, skipped } = await listModels(modelsDir)
    expect(models.map((model) => model.manifest.id)).toEqual(['glide-base'])
    expect(skipped).toEqual([])
  })

  it('leaves no model folder and no checkpoint when the download does not fit the official model', async () => {
    const error = await failure(installOfficialModel({ kind: 'base', modelsDir, env }))
    expect(error.code).toBe('CHECKPOINT_MISMATCH')
    expect(readdirSync(modelsDir)).toEqual(['.downloads'])
    expect(readdirSync(join(modelsDir, '.downloads'))).toEqual([])
  })

  it('reports a missing file on the server as DOWNLOAD_FAILED', async () => {
    const error = await failure(installOfficialModel({ kind: 'upsample', modelsDir, env }))
    expect(error.code).toBe('DOWNLOAD_FAILED')
    expect(readdirSync(modelsDir)).toEqual(['.downloads'])
  })
})
