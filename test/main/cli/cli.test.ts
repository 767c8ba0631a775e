import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { outputPaths } from '../../../main/cli/index'
import { formatProgress } from '../../../main/cli/progressBar'
import { readPngTextChunks } from '../../../main/documents/pngText'
import { spaceTimesteps } from '../../../main/engine/diffusion/schedules'

const bin = fileURLToPath(new URL('../../../bin/glide-studio.js', import.meta.url))
const fixtures = fileURLToPath(new URL('../../fixtures/glide-reference/', import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'glide-cli-'))
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
  return cliIn(process.cwd(), environment, ...args)
}

/** The CLI started in the working directory `cwd`. */
function cliIn(
  cwd: string,
  environment: NodeJS.ProcessEnv,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd, env: environment, timeout: 120_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr })
      },
    )
  })
}

beforeAll(async () => {
  for (const kind of ['base', 'base-inpaint', 'upsample']) {
    const result = await cli(
      'import',
      '--kind',
      kind,
      '--checkpoint',
      join(fixtures, `unet-${kind}`, 'checkpoint.pt'),
      '--options',
      join(fixtures, `unet-${kind}`, 'config.json'),
      '--out',
      join(modelsDir, `reference-${kind}`),
    )
    expect(result.stderr).toContain('converting')
    expect(result.code).toBe(0)
  }
})

describe('glide-studio CLI', () => {
  it('imports checkpoints into model folders and lists them', async () => {
    expect(existsSync(join(modelsDir, 'reference-base', 'model.json'))).toBe(true)
    const list = await cli('models', 'list')
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/^reference-base\s+base\b/m)
    expect(list.stdout).toMatch(/^reference-base-inpaint\s+base-inpaint\b/m)
    expect(list.stdout).toMatch(/^reference-upsample\s+upsample\b/m)
  })

  it('generates a batch as FILE-1.png, FILE-2.png with the settings in a text chunk, and reports progress', async () => {
    const out = join(work, 'cube.png')
    const result = await cli(
      'generate',
      '--prompt',
      'a red cube',
      '--steps',
      '4',
      '--seed',
      '42',
      '--batch',
      '2',
      '--upsampler',
      'none',
      '--out',
      out,
    )
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/base\s+\[#+\] 4\/4 .*ETA/)
    expect(result.stderr).toContain('reference-base on CPU')
    expect(result.stdout.trim().split('\n')).toEqual([
      join(work, 'cube-1.png'),
      join(work, 'cube-2.png'),
    ])
    for (const path of [join(work, 'cube-1.png'), join(work, 'cube-2.png')]) {
      const png = readFileSync(path)
      expect((await sharp(png).metadata()).width).toBe(64)
      const settings = JSON.parse(readPngTextChunks(png)['parameters'] ?? '{}') as Record<
        string,
        unknown
      >
      expect(settings).toMatchObject({
        prompt: 'a red cube',
        seed: 42,
        baseRespacing: '4',
        batchSize: 2,
      })
    }
    expect(
      Buffer.compare(
        readFileSync(join(work, 'cube-1.png')),
        readFileSync(join(work, 'cube-2.png')),
      ),
    ).not.toBe(0)
  })

  it('reads a relative --models-dir from the working directory and records --guidance-reuse', async () => {
    // The inference host runs in a folder of its own, so a relative path must not reach it as is.
    const result = await cliIn(
      work,
      { ...env, GLIDE_STUDIO_MODELS_DIR: join(work, 'no-models') },
      'generate',
      '--prompt',
      'a red cube',
      '--steps',
      '4',
      '--guidance-reuse',
      '0.75',
      '--seed',
      '7',
      '--upsampler',
      'none',
      '--models-dir',
      'models',
      '--out',
      'relative.png',
    )
    expect(result.stderr).toContain('reference-base on CPU')
    expect(result.code).toBe(0)
    const png = readFileSync(join(work, 'relative.png'))
    const settings = JSON.parse(readPngTextChunks(png)['parameters'] ?? '{}') as Record<
      string,
      unknown
    >
    expect(settings).toMatchObject({ baseRespacing: '4', guidanceReuseBelow: 0.75, seed: 7 })
  })

  it('runs the upsampler after the base model when one is installed', async () => {
    const out = join(work, 'upsampled.png')
    const result = await cli(
      'generate',
      '--prompt',
      'a red cube',
      '--steps',
      '3',
      '--upsample-steps',
      '2',
      '--seed',
      '5',
      '--out',
      out,
    )
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/base\s+\[#+\] 3\/3/)
    expect(result.stderr).toMatch(/upsample\s+\[#+\] 2\/2/)
    expect(result.stderr).toContain('reference-base + reference-upsample on CPU')
    expect((await sharp(readFileSync(out)).metadata()).width).toBe(256)
  })

  it('inpaints with a painted mask (white = regenerate)', async () => {
    const image = join(work, 'photo.png')
    const mask = join(work, 'mask.png')
    await sharp({ create: { width: 96, height: 96, channels: 3, background: '#3060c0' } })
      .png()
      .toFile(image)
    const maskPixels = Buffer.alloc(96 * 96)
    for (let y = 24; y < 72; y++) maskPixels.fill(255, y * 96 + 24, y * 96 + 72)
    await sharp(maskPixels, { raw: { width: 96, height: 96, channels: 1 } })
      .png()
      .toFile(mask)
    const out = join(work, 'inpainted.png')
    const result = await cli(
      'inpaint',
      '--image',
      image,
      '--mask',
      mask,
      '--prompt',
      'a cat',
      '--steps',
      '3',
      '--seed',
      '1',
      '--upsampler',
      'none',
      '--out',
      out,
    )
    expect(result.stderr).toContain('reference-base-inpaint on CPU')
    expect(result.code).toBe(0)
    const settings = JSON.parse(
      readPngTextChunks(readFileSync(out))['parameters'] ?? '{}',
    ) as Record<string, unknown>
    expect(settings).toMatchObject({ kind: 'inpaint', prompt: 'a cat', guidanceScale: 5 })
    // Black in the mask is kept exactly; the white square in the middle is regenerated.
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true })
    const pixel = (x: number, y: number) => [
      ...data.subarray((y * info.width + x) * 4, (y * info.width + x) * 4 + 3),
    ]
    expect(pixel(2, 2)).toEqual([0x30, 0x60, 0xc0])
    expect(pixel(info.width - 3, info.height - 3)).toEqual([0x30, 0x60, 0xc0])
    expect(pixel(info.width / 2, info.height / 2)).not.toEqual([0x30, 0x60, 0xc0])
  })

  it('fails with the typed error and a non-zero exit code', async () => {
    const missing = await cli(
      'generate',
      '--prompt',
      'x',
      '--model',
      'no-such-model',
      '--out',
      join(work, 'x.png'),
    )
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('No model "no-such-model" is installed. (MODEL_NOT_FOUND)')
    const badSteps = await cli(
      'generate',
      '--prompt',
      'x',
      '--steps',
      'lots',
      '--out',
      join(work, 'x.png'),
    )
    expect(badSteps.code).toBe(2)
    expect(badSteps.stderr).toContain('--steps: Steps must be a whole number from 1 to 1000')
    const badImport = await cli(
      'import',
      '--kind',
      'base',
      '--checkpoint',
      join(work, 'missing.pt'),
      '--out',
      join(work, 'm'),
    )
    expect(badImport.code).toBe(1)
    expect(badImport.stderr).toMatch(/\((IO_ERROR|INVALID_ARGUMENT|CHECKPOINT_CORRUPT)\)/)
    expect((await cli('frobnicate')).code).toBe(2)
    expect(existsSync(join(work, 'x.png'))).toBe(false)
  })

  it('keeps the picture size: a 150×100 picture inpaints into a 150×100 file, outside the mask unchanged', async () => {
    const image = join(work, 'wide.png')
    const mask = join(work, 'wide-mask.png')
    const pixels = Buffer.alloc(150 * 100 * 3)
    for (let i = 0; i < 150 * 100; i++) pixels.set([(i * 7) % 256, (i >> 3) % 256, 90], i * 3)
    await sharp(pixels, { raw: { width: 150, height: 100, channels: 3 } })
      .png()
      .toFile(image)
    const maskPixels = Buffer.alloc(150 * 100)
    for (let y = 30; y < 70; y++) maskPixels.fill(255, y * 150 + 90, y * 150 + 130)
    await sharp(maskPixels, { raw: { width: 150, height: 100, channels: 1 } })
      .png()
      .toFile(mask)
    const out = join(work, 'wide-out.png')
    const result = await cli(
      'inpaint',
      '--image',
      image,
      '--mask',
      mask,
      '--prompt',
      'a cat',
      '--steps',
      '2',
      '--seed',
      '1',
      '--upsampler',
      'none',
      '--out',
      out,
    )
    expect(result.code).toBe(0)
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true })
    expect([info.width, info.height]).toEqual([150, 100])
    let changedOutside = 0
    let changedInside = 0
    for (let i = 0; i < 150 * 100; i++) {
      const same = [0, 1, 2].every((c) => data[i * 4 + c] === pixels[i * 3 + c])
      if (maskPixels[i] === 0 && !same) changedOutside++
      if (maskPixels[i] === 255 && !same) changedInside++
    }
    expect(changedOutside).toBe(0)
    expect(changedInside).toBeGreaterThan(1000)
  })

  it('writes JPEG and WebP by the --out extension and refuses others before running', async () => {
    for (const [name, format] of [
      ['x.jpg', 'jpeg'],
      ['x.webp', 'webp'],
    ] as const) {
      const out = join(work, name)
      const result = await cli(
        'generate',
        '--prompt',
        'x',
        '--steps',
        '2',
        '--seed',
        '3',
        '--upsampler',
        'none',
        '--out',
        out,
      )
      expect(result.code).toBe(0)
      expect((await sharp(readFileSync(out)).metadata()).format).toBe(format)
    }
    const gif = await cli('generate', '--prompt', 'x', '--out', join(work, 'x.gif'))
    expect(gif.code).toBe(1)
    expect(gif.stderr).toContain('must end in .png, .jpg, .jpeg or .webp')
    expect(gif.stderr).not.toContain('seed')
    const folder = await cli('generate', '--prompt', 'x', '--out', join(work, 'nope', 'x.png'))
    expect(folder.code).toBe(1)
    expect(folder.stderr).toContain(`The output folder ${join(work, 'nope')} does not exist.`)
    expect(folder.stderr).not.toContain('seed')
  })

  it('explains malformed numbers, steps 0, empty or mis-sized masks and SVG pictures', async () => {
    const out = join(work, 'never.png')
    const seed = await cli('generate', '--prompt', 'x', '--seed', '1e', '--out', out)
    expect(seed.stderr).toContain('--seed must be a whole number, not "1e"')
    const zero = await cli('generate', '--prompt', 'x', '--steps', '0', '--out', out)
    expect(zero.code).toBe(2)
    expect(zero.stderr).toContain('--steps: Steps must be a whole number from 1 to 1000')
    const guidance = await cli('generate', '--prompt', 'x', '--guidance', '80', '--out', out)
    expect(guidance.stderr).toContain('--guidance: Guidance must be between 0 and 50')
    const strength = await cli(
      'generate',
      '--prompt',
      'x',
      '--init-image',
      join(work, 'photo.png'),
      '--strength',
      '2',
      '--out',
      out,
    )
    expect(strength.stderr).toContain('Strength must be between 0.01 and 1')

    const image = join(work, 'plain.png')
    await sharp({ create: { width: 40, height: 30, channels: 3, background: '#808080' } })
      .png()
      .toFile(image)
    const black = join(work, 'black.png')
    await sharp({ create: { width: 40, height: 30, channels: 3, background: '#000' } })
      .png()
      .toFile(black)
    const small = join(work, 'small.png')
    await sharp({ create: { width: 20, height: 30, channels: 3, background: '#fff' } })
      .png()
      .toFile(small)
    const svg = join(work, 'picture.svg')
    writeFileSync(svg, '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>')
    const inpaint = (picture: string, mask: string) =>
      cli('inpaint', '--image', picture, '--mask', mask, '--prompt', 'x', '--out', out)
    const empty = await inpaint(image, black)
    expect(empty.code).toBe(1)
    expect(empty.stderr).toContain('The mask selects nothing')
    const sized = await inpaint(image, small)
    expect(sized.stderr).toContain("The mask is 20×30; it must be the picture's size, 40×30.")
    const vector = await inpaint(svg, black)
    expect(vector.stderr).toContain('(UNSUPPORTED_FORMAT)')
    expect(existsSync(out)).toBe(false)
  })

  it('refines a picture with --init-image and --strength, keeping its size', async () => {
    const out = join(work, 'refined.png')
    const result = await cli(
      'generate',
      '--prompt',
      'a cat',
      '--init-image',
      join(work, 'photo.png'),
      '--strength',
      '0.5',
      '--steps',
      '4',
      '--seed',
      '2',
      '--upsampler',
      'none',
      '--out',
      out,
    )
    expect(result.code).toBe(0)
    expect((await sharp(readFileSync(out)).metadata()).width).toBe(96)
    const settings = JSON.parse(readPngTextChunks(readFileSync(out))['parameters'] ?? '{}')
    expect(settings).toMatchObject({ kind: 'refine', strength: 0.5 })
  })

  it('names batch files and draws progress lines', () => {
    expect(outputPaths('/o/a.png', 1)).toEqual(['/o/a.png'])
    expect(outputPaths('/o/a.png', 3)).toEqual(['/o/a-1.png', '/o/a-2.png', '/o/a-3.png'])
    expect(outputPaths('/o/a', 2)).toEqual(['/o/a-1.png', '/o/a-2.png'])
    const line = formatProgress(
      {
        jobId: 'j',
        stage: 'base',
        step: 5,
        totalSteps: 10,
        elapsedMs: 2000,
        etaMs: 65_000,
        preview: null,
      },
      10,
    )
    expect(line).toBe('base     [#####-----] 5/10  2s elapsed  ETA 1m05s')
  })

  it('downloads a released checkpoint and refuses one that is not what the release says', async () => {
    // A local mirror (GLIDE_STUDIO_MODEL_BASE_URL) serving the small reference checkpoint as base.pt:
    // the download completes, the import checks it against the official architecture and refuses.
    const checkpoint = readFileSync(join(fixtures, 'unet-base', 'checkpoint.pt'))
    const requested: string[] = []
    const server = createServer((request, response) => {
      requested.push(request.url ?? '')
      response.writeHead(200, { 'Content-Length': checkpoint.length })
      response.end(checkpoint)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    const downloadDir = join(work, 'downloads')
    try {
      const result = await cliWith(
        { ...env, GLIDE_STUDIO_MODEL_BASE_URL: mirror },
        'models',
        'download',
        'base',
        '--models-dir',
        downloadDir,
      )
      expect(requested).toEqual(['/base.pt'])
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/\((CHECKPOINT_MISMATCH|MODEL_INVALID)\)/)
      // Nothing half-made is left behind: no model folder, no downloaded checkpoint (the
      // download folder the app's Models dialog shares is empty).
      expect(readdirSync(downloadDir)).toEqual(['.downloads'])
      expect(readdirSync(join(downloadDir, '.downloads'))).toEqual([])
      const unknown = await cliWith(
        { ...env, GLIDE_STUDIO_MODEL_BASE_URL: mirror },
        'models',
        'download',
        'nonsense',
      )
      expect(unknown.code).toBe(1)
      expect(unknown.stderr).toContain('No official model "nonsense"')
    } finally {
      server.close()
    }
  })

  it('generates with the bundled GLIDE-mini on a fresh install, the same file every run', async () => {
    const fresh = { ...env, GLIDE_STUDIO_MODELS_DIR: join(work, 'no-models') }
    const outputs = [join(work, 'mini-a.png'), join(work, 'mini-b.png')]
    for (const out of outputs) {
      const result = await cliWith(
        fresh,
        'generate',
        '--prompt',
        'a red circle on the left',
        '--seed',
        '1',
        '--out',
        out,
      )
      expect(result.code).toBe(0)
      expect(result.stderr).toContain('glide-mini-base + glide-mini-upsample')
      // The bundled upsampler starts from its noised low-res image (its manifest says so).
      const upsampleSteps = spaceTimesteps(1000, 'fast27').filter((t) => t <= 500).length
      expect(upsampleSteps).toBeLessThan(27)
      expect(result.stderr).toContain(`${upsampleSteps}/${upsampleSteps}`)
      expect(result.stderr).not.toContain('27/27')
    }
    const [first, second] = outputs.map((out) => readFileSync(out))
    expect(first!.equals(second!)).toBe(true)
    expect(await sharp(first!).metadata()).toMatchObject({ width: 128, height: 128 })
  })
})
