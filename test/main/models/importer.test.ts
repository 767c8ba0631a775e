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
import {
  importCheckpoint,
  importClipCheckpoint,
  installOfficialModel,
} from '../../../main/models/importer'
import { parseClipConfigText, releasedClipOptions } from '../../../main/engine/clip/clipOptions'
import { loadClipTokenizer } from '../../../main/engine/tokenizer/clipTokenizer'
import { listModels, readModelFolder } from '../../../main/models/modelFolder'
import { isOfficialManifest, modelBaseUrlEnv } from '../../../main/models/officialModels'
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
        // What makes it official: fetched for the list's "base" entry, with the hash above.
        fetchedFrom: { officialKey: 'base', url: `${env[modelBaseUrlEnv]}base.pt` },
      },
    })
    expect(isOfficialManifest(folder.manifest)).toBe(true)
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

describe('importClipCheckpoint (noised CLIP)', () => {
  const clipTiny = join(import.meta.dirname, '../../fixtures/glide-reference/clip-tiny')
  const tinyConfig = (): Record<string, unknown> =>
    parseClipConfigText(readFileSync(join(clipTiny, 'config.yaml'), 'utf8'), 'config.yaml')

  it('writes a clip-image folder with the encoder and the gradient graphs', async () => {
    const folder = await importClipCheckpoint({
      kind: 'clip-image',
      checkpointPath: join(clipTiny, 'image_enc.pt'),
      options: tinyConfig(),
      outDir: join(modelsDir, 'tiny-clip-image'),
    })
    expect(readdirSync(folder.dir).sort()).toEqual([
      'image_encoder.onnx',
      'image_encoder.onnx.data',
      'image_grad.onnx',
      'model.json',
    ])
    expect(folder.manifest).toMatchObject({
      kind: 'clip-image',
      tokenizer: 'clip-bpe',
      options: { ...releasedClipOptions, ...tinyConfig() },
      diffusion: { steps: 1000, noiseSchedule: 'squaredcos_cap_v2' },
      files: {
        image_encoder: 'image_encoder.onnx',
        image_grad: 'image_grad.onnx',
        image_data: 'image_encoder.onnx.data',
      },
      source: { checkpoint: 'image_enc.pt' },
    })
  })

  it('writes a clip-text folder that carries its own merge list and licence notice', async () => {
    const folder = await importClipCheckpoint({
      kind: 'clip-text',
      checkpointPath: join(clipTiny, 'text_enc.pt'),
      options: tinyConfig(),
      outDir: join(modelsDir, 'tiny-clip-text'),
    })
    expect(Object.keys(folder.files).sort()).toEqual([
      'bpe_license',
      'bpe_merges',
      'text_data',
      'text_encoder',
    ])
    expect(readFileSync(folder.files.bpe_license ?? '', 'utf8')).toContain('MIT License')
    const tokenizer = await loadClipTokenizer(folder.files.bpe_merges)
    expect(tokenizer.tokenize('a red cube').length).toBe(5)
  })

  it('refuses hostile, legacy and mismatched checkpoints and leaves nothing behind', async () => {
    const hostile = await failure(
      importClipCheckpoint({
        kind: 'clip-image',
        checkpointPath: join(checkpoints, 'refuse_posix_system.pt'),
        outDir: join(modelsDir, 'evil'),
      }),
    )
    expect(hostile.code).toBe('CHECKPOINT_REFUSED')
    expect(hostile.message).toContain('posix.system')
    const reduce = await failure(
      importClipCheckpoint({
        kind: 'clip-text',
        checkpointPath: join(checkpoints, 'refuse_reduce_storage.pt'),
        outDir: join(modelsDir, 'evil'),
      }),
    )
    expect(reduce.code).toBe('CHECKPOINT_REFUSED')
    const legacy = await failure(
      importClipCheckpoint({
        kind: 'clip-image',
        checkpointPath: join(checkpoints, 'legacy.pt'),
        outDir: join(modelsDir, 'legacy'),
      }),
    )
    expect(legacy.code).toBe('CHECKPOINT_REFUSED')
    const released = await failure(
      importClipCheckpoint({
        kind: 'clip-image',
        checkpointPath: join(clipTiny, 'image_enc.pt'),
        outDir: join(modelsDir, 'released-config'),
      }),
    )
    expect(released.code).toBe('CHECKPOINT_MISMATCH')
    expect(released.message).toContain('blocks.input.w_t has shape [1000, 32]')
    const swapped = await failure(
      importClipCheckpoint({
        kind: 'clip-image',
        checkpointPath: join(clipTiny, 'text_enc.pt'),
        options: tinyConfig(),
        outDir: join(modelsDir, 'swapped'),
      }),
    )
    expect(swapped.code).toBe('CHECKPOINT_MISMATCH')
    expect(swapped.message).toContain('blocks.input.w_t')
    const badConfig = await failure(
      importClipCheckpoint({
        kind: 'clip-image',
        checkpointPath: join(clipTiny, 'image_enc.pt'),
        options: { n_layers: 2 },
        outDir: join(modelsDir, 'bad-config'),
      }),
    )
    expect(badConfig.code).toBe('INVALID_ARGUMENT')
    expect(readdirSync(modelsDir)).toEqual([])
  })

  describe('download through the resume/sha256 path', () => {
    const served: Record<string, Buffer> = {
      '/clip_image_enc.pt': readFileSync(join(clipTiny, 'image_enc.pt')),
      '/clip_text_enc.pt': readFileSync(join(clipTiny, 'text_enc.pt')),
    }
    const server = createServer((request, response) => {
      const body = served[request.url ?? '']
      if (!body) {
        response.writeHead(404)
        response.end()
        return
      }
      response.writeHead(200, { 'content-length': body.length })
      response.end(body)
    })
    let env: NodeJS.ProcessEnv
    beforeAll(async () => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      env = { [modelBaseUrlEnv]: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }
    })
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

    it('installs both encoders as the official ids with the recorded sha256', async () => {
      for (const kind of ['clip-image', 'clip-text'] as const) {
        const folder = await installOfficialModel({ kind, modelsDir, options: tinyConfig(), env })
        const body = served[kind === 'clip-image' ? '/clip_image_enc.pt' : '/clip_text_enc.pt']
        expect(folder.manifest.source.sha256).toBe(
          createHash('sha256')
            .update(body ?? '')
            .digest('hex'),
        )
      }
      const { models, skipped } = await listModels(modelsDir)
      expect(models.map((model) => [model.manifest.id, model.manifest.kind])).toEqual([
        ['glide-clip-image', 'clip-image'],
        ['glide-clip-text', 'clip-text'],
      ])
      expect(skipped).toEqual([])
      expect(readdirSync(join(modelsDir, '.downloads'))).toEqual([])
    })
  })
})
