import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'

// The Show case through `glide-studio inpaint` with the bundled GLIDE-mini: a flat
// light-blue 640×448 picture, a square mask on the right, "a yellow star". Real models, real
// files; 20 base steps keep it to ~20 s of CPU a run.

const bin = fileURLToPath(new URL('../../../bin/glide-studio.js', import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'glide-cli-region-'))
const env = {
  ...process.env,
  GLIDE_STUDIO_CONFIG_DIR: join(work, 'config'),
  GLIDE_STUDIO_MODELS_DIR: join(work, 'no-models'),
}
const width = 640
const height = 448
const background = [168, 208, 240] as const
interface Square {
  x: number
  y: number
  side: number
}
const square: Square = { x: 440, y: 144, side: 160 }

function cli(...args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env, timeout: 240_000 }, (error, _out, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
    )
  })
}

/** 255 inside the square; with `soft`, a ramp over that many pixels inside its edge. */
function maskPixels(soft: number, square: Square): Buffer {
  const mask = Buffer.alloc(width * height)
  for (let y = square.y; y < square.y + square.side; y++) {
    for (let x = square.x; x < square.x + square.side; x++) {
      const edge = Math.min(x - square.x, square.x + square.side - 1 - x, y - square.y)
      const depth = Math.min(edge, square.y + square.side - 1 - y)
      mask[y * width + x] = soft > 0 ? Math.min(255, Math.round((255 * (depth + 1)) / soft)) : 255
    }
  }
  return mask
}

interface Measured {
  size: [number, number]
  changedOutside: number
  starPixels: number
  /** mean |pixel − background| per channel over the masked pixels that are not the star */
  fill: number[]
  /** the same over the 8-px band inside the mask's edge */
  band: number[]
}

async function inpaintStar(
  name: string,
  soft: number,
  square: Square,
  source?: string,
): Promise<Measured & { out: string }> {
  const picture = source ?? join(work, `${name}-sky.png`)
  const maskFile = join(work, `${name}-mask.png`)
  const out = join(work, `${name}-star.png`)
  if (!source) {
    await sharp({
      create: {
        width,
        height,
        channels: 3,
        background: { r: background[0], g: background[1], b: background[2] },
      },
    })
      .png()
      .toFile(picture)
  }
  const before = await sharp(picture).raw().toBuffer({ resolveWithObject: true })
  const mask = maskPixels(soft, square)
  await sharp(mask, { raw: { width, height, channels: 1 } })
    .png()
    .toFile(maskFile)
  const result = await cli(
    'inpaint',
    '--image',
    picture,
    '--mask',
    maskFile,
    '--prompt',
    'a yellow star',
    '--seed',
    '3',
    '--steps',
    '20',
    '--out',
    out,
  )
  expect(result.stderr).toContain('glide-mini-base + glide-mini-upsample')
  expect(result.code).toBe(0)
  const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true })
  const measured: Measured & { out: string } = {
    out,
    size: [info.width, info.height],
    changedOutside: 0,
    starPixels: 0,
    fill: [0, 0, 0],
    band: [0, 0, 0],
  }
  let fillCount = 0
  let bandCount = 0
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x
      const pixel = [0, 1, 2].map((c) => data[i * info.channels + c] ?? 0)
      const distance = pixel.map((value, c) => Math.abs(value - (background[c] ?? 0)))
      if (mask[i] === 0) {
        const old = (c: number) => before.data[i * before.info.channels + c]
        if (pixel.some((value, c) => value !== old(c))) measured.changedOutside++
        continue
      }
      // The star: clearly not the background (yellow is ~200 away in blue).
      if (Math.max(...distance) > 30) {
        measured.starPixels++
        continue
      }
      distance.forEach((d, c) => (measured.fill[c] = (measured.fill[c] ?? 0) + d))
      fillCount++
      const edge = Math.min(
        x - square.x,
        square.x + square.side - 1 - x,
        y - square.y,
        square.y + square.side - 1 - y,
      )
      if (edge < 8) {
        distance.forEach((d, c) => (measured.band[c] = (measured.band[c] ?? 0) + d))
        bandCount++
      }
    }
  }
  measured.fill = measured.fill.map((sum) => sum / fillCount)
  measured.band = measured.band.map((sum) => sum / bandCount)
  process.stderr.write(`${name}: ${JSON.stringify(measured)}\n`)
  return measured
}

/** The hard-mask run, made once and shared by the tests that need it. */
let hardMaskRun: Promise<Measured & { out: string }> | undefined
const hardMaskStar = () => (hardMaskRun ??= inpaintStar('hard-mask', 0, square))

describe('glide-studio inpaint with GLIDE-mini: a yellow star into a flat sky', () => {
  for (const [name, soft] of [
    ['hard mask', 0],
    // A brush's soft edge: the grey ramp once reached the model as darkened "known" pixels.
    ['soft-edged mask', 12],
  ] as const) {
    it(`is seamless with a ${name}: size kept, outside unchanged, fill and rim match the sky`, async () => {
      const measured =
        soft === 0 ? await hardMaskStar() : await inpaintStar(name.replace(' ', '-'), soft, square)
      expect(measured.size).toEqual([width, height])
      expect(measured.changedOutside).toBe(0)
      // There is a star (a 160 px square holds 25,600 pixels).
      expect(measured.starPixels).toBeGreaterThan(1500)
      for (const value of measured.fill) expect(value).toBeLessThan(6)
      for (const value of measured.band) expect(value).toBeLessThan(8)
    }, 300_000)
  }

  it('leaves no nested patch when a region inside the first fill is inpainted again', async () => {
    const first = await hardMaskStar()
    const inner = { x: 470, y: 174, side: 100 }
    const second = await inpaintStar('second-pass', 0, inner, first.out)
    expect(second.size).toEqual([width, height])
    expect(second.changedOutside).toBe(0)
    expect(second.starPixels).toBeGreaterThan(500)
    for (const value of second.fill) expect(value).toBeLessThan(6)
    for (const value of second.band) expect(value).toBeLessThan(8)
  }, 300_000)
})
