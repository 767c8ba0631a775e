import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { readPngTextChunks } from '../../../main/documents/pngText'

/**
 * `generate --clip-guidance S` end to end: the CLI imports clip-tiny's noised CLIP (random weights,
 * glide-text2im's config.yaml) beside the reference base U-Net, and the job runs CLIP guidance in
 * the inference host through image_grad.onnx.
 */
const bin = fileURLToPath(new URL('../../../bin/glide-studio.js', import.meta.url))
const fixtures = fileURLToPath(new URL('../../fixtures/glide-reference/', import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'glide-cli-clip-'))
const modelsDir = join(work, 'models')
const env = {
  ...process.env,
  GLIDE_STUDIO_CONFIG_DIR: join(work, 'config'),
  GLIDE_STUDIO_MODELS_DIR: modelsDir,
}

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return cliWith(env, ...args)
}

function cliWith(
  environment: NodeJS.ProcessEnv,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: environment, timeout: 120_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr })
      },
    )
  })
}

/** "a red cube" with the reference base, 3 steps, seed 5, no upsampler, at CLIP guidance `scale`. */
function generateRedCube(environment: NodeJS.ProcessEnv, scale: string, out: string) {
  return cliWith(
    environment,
    'generate',
    '--prompt',
    'a red cube',
    '--model',
    'reference-base',
    '--upsampler',
    'none',
    '--steps',
    '3',
    '--seed',
    '5',
    '--clip-guidance',
    scale,
    '--out',
    out,
  )
}

beforeAll(async () => {
  const base = await cli(
    'import',
    '--kind',
    'base',
    '--checkpoint',
    join(fixtures, 'unet-base', 'checkpoint.pt'),
    '--options',
    join(fixtures, 'unet-base', 'config.json'),
    '--out',
    join(modelsDir, 'reference-base'),
  )
  expect(base.code).toBe(0)
  for (const [kind, file] of [
    ['clip-image', 'image_enc.pt'],
    ['clip-text', 'text_enc.pt'],
  ]) {
    const result = await cli(
      'import',
      '--kind',
      kind ?? '',
      '--checkpoint',
      join(fixtures, 'clip-tiny', file ?? ''),
      '--options',
      join(fixtures, 'clip-tiny', 'config.yaml'),
      '--out',
      join(modelsDir, `tiny-${kind}`),
    )
    expect(result.stderr).toContain('converting')
    expect(result.code).toBe(0)
  }
})

describe('glide-studio generate --clip-guidance', () => {
  it('lists the imported CLIP models by kind', async () => {
    const list = await cli('models', 'list')
    expect(list.stdout).toMatch(/^tiny-clip-image\s+clip-image\b/m)
    expect(list.stdout).toMatch(/^tiny-clip-text\s+clip-text\b/m)
  })

  it('samples with CLIP guidance in the host: the picture moves with the scale', async () => {
    const run = async (
      scale: string,
      out: string,
      ran = 'reference-base + tiny-clip-image + tiny-clip-text on CPU',
    ) => {
      const result = await generateRedCube(env, scale, out)
      expect(result.stderr).toMatch(/base\s+\[#+\] 3\/3/)
      expect(result.code).toBe(0)
      expect(result.stderr).toContain(ran)
      return readFileSync(out)
    }
    const guided = await run('3', join(work, 'guided.png'))
    const again = await run('3', join(work, 'again.png'))
    const unguided = await run('0', join(work, 'unguided.png'), 'reference-base on CPU')
    expect(guided.equals(again)).toBe(true)
    const [a, b] = await Promise.all([guided, unguided].map((png) => sharp(png).raw().toBuffer()))
    expect(a?.length).toBe(64 * 64 * 4)
    expect(a?.equals(b ?? Buffer.alloc(0))).toBe(false)
    const settings = JSON.parse(readPngTextChunks(guided)['parameters'] ?? '{}') as Record<
      string,
      unknown
    >
    expect(settings).toMatchObject({ guidanceMode: 'clip', clipGuidanceScale: 3 })
  })

  it('runs CLIP guidance 0 with no CLIP installed (the same image), and names the missing CLIP above 0', async () => {
    const baseOnly = join(work, 'base-only')
    cpSync(join(modelsDir, 'reference-base'), join(baseOnly, 'reference-base'), { recursive: true })
    const noClipEnv = { ...env, GLIDE_STUDIO_MODELS_DIR: baseOnly }
    const atZero = await generateRedCube(noClipEnv, '0', join(work, 'no-clip-0.png'))
    expect(atZero.stderr).toContain('reference-base on CPU')
    expect(atZero.code).toBe(0)
    const withClipInstalled = join(work, 'unguided.png')
    expect(readFileSync(join(work, 'no-clip-0.png')).equals(readFileSync(withClipInstalled))).toBe(
      true,
    )
    const atThree = await generateRedCube(noClipEnv, '3', join(work, 'no-clip-3.png'))
    expect(atThree.code).not.toBe(0)
    expect(atThree.stderr).toContain('(MODEL_NOT_FOUND)')
    expect(atThree.stderr).toContain('models download clip')
  })

  it('refuses a CLIP scale out of range with the flag named', async () => {
    const result = await cli(
      'generate',
      '--prompt',
      'x',
      '--clip-guidance',
      '80',
      '--out',
      join(work, 'x.png'),
    )
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('--clip-guidance')
  })

  it('models download clip takes the CLIP checkpoints through the download and the CLIP importer, refusing ones that are not the release', async () => {
    // A local mirror serving clip-tiny under the official names: each download completes, the
    // importer checks it against the released CLIP config and refuses it, leaving nothing behind.
    const files: Record<string, Buffer> = {
      '/clip_image_enc.pt': readFileSync(join(fixtures, 'clip-tiny', 'image_enc.pt')),
      '/clip_text_enc.pt': readFileSync(join(fixtures, 'clip-tiny', 'text_enc.pt')),
    }
    const requested: string[] = []
    const server = createServer((request, response) => {
      requested.push(request.url ?? '')
      const body = files[request.url ?? '']
      response.writeHead(body ? 200 : 404, { 'Content-Length': body?.length ?? 0 })
      response.end(body)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    const downloadDir = join(work, 'clip-downloads')
    try {
      const result = await cliWith(
        { ...env, GLIDE_STUDIO_MODEL_BASE_URL: mirror },
        'models',
        'download',
        'clip',
        '--models-dir',
        downloadDir,
      )
      expect(requested).toEqual(['/clip_image_enc.pt'])
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('(CHECKPOINT_MISMATCH)')
      expect(result.stderr).toContain('blocks.input.w_t has shape [1000, 32]')
      expect(readdirSync(downloadDir)).toEqual(['.downloads'])
      expect(readdirSync(join(downloadDir, '.downloads'))).toEqual([])
    } finally {
      server.close()
    }
  })
})
