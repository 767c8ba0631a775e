/**
 * Which background GLIDE-mini's base draws for one caption, per base setting, over many seeds: the
 * probe that found why Fast lost named backgrounds (native-models/eval/results-presets.txt).
 *
 *   npx tsx native-models/eval/baseBackgrounds.ts [--seeds 1,2,3,4,5,6,7,8] [--rows 16] [--guidance 3]
 *     [--prompt "a black circle at the bottom left and a black heart on the right side on a white background"]
 *     [--settings "ancestral:100:0;ancestral:3,17:0.5;ancestral:3,17+1:0.5"] [--models-dir native-models/glide-mini]
 *
 * Each setting (sampler:respacing:guidance cutoff; ';' between settings) samples `rows` images per
 * seed from the seed's x_T with classifier-free guidance, as baseDistance.ts does, and counts the
 * background each 32 px sample shows: the palette colour (training/scenes.py) nearest to the mean
 * of its two-pixel border.
 */
import { parseArgs } from 'node:util'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { guidedBaseSamples, loadEvalBase, parseBaseSetting } from './baseSampling'

const here = fileURLToPath(new URL('.', import.meta.url))
const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1,2,3,4,5,6,7,8' },
    rows: { type: 'string', default: '16' },
    guidance: { type: 'string', default: '3' },
    prompt: {
      type: 'string',
      default:
        'a black circle at the bottom left and a black heart on the right side on a white background',
    },
    settings: {
      type: 'string',
      default: 'ancestral:100:0;ancestral:3,17:0.5;ancestral:3,17+1:0.5',
    },
    'models-dir': { type: 'string', default: join(here, '..', 'glide-mini') },
  },
})

/** training/scenes.py's BACKGROUNDS. */
const backgrounds: Record<string, readonly [number, number, number]> = {
  white: [245, 245, 245],
  black: [20, 20, 20],
  gray: [128, 128, 128],
  'light blue': [170, 210, 240],
}

const rows = Number(values.rows)
const guidance = Number(values.guidance)
const unet = await loadEvalBase(values['models-dir'])
const size = unet.options.image_size
const plane = 3 * size * size

/** The palette background nearest to the mean colour of row `row`'s two-pixel border. */
function backgroundOf(samples: Float32Array, row: number): string {
  const mean = [0, 0, 0]
  let pixels = 0
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inner = y > 1 && y < size - 2 && x > 1 && x < size - 2
      if (inner) continue
      for (let c = 0; c < 3; c++) {
        const value = samples[row * plane + (c * size + y) * size + x] ?? 0
        mean[c] = (mean[c] ?? 0) + (value + 1) * 127.5
      }
      pixels++
    }
  }
  let nearest = ''
  let nearestDistance = Infinity
  for (const [name, rgb] of Object.entries(backgrounds)) {
    const distance = rgb.reduce((sum, level, c) => sum + (level - (mean[c] ?? 0) / pixels) ** 2, 0)
    if (distance < nearestDistance) [nearest, nearestDistance] = [name, distance]
  }
  return nearest
}

console.log(`"${values.prompt}", guidance ${guidance}, ${rows} images per seed`)
for (const text of values.settings.split(';')) {
  const setting = parseBaseSetting(text)
  const counts: Record<string, number> = {}
  const started = performance.now()
  for (const seed of values.seeds.split(',').map(Number)) {
    const samples = await guidedBaseSamples(unet, values.prompt, rows, seed, guidance, setting)
    for (let row = 0; row < rows; row++) {
      const background = backgroundOf(samples, row)
      counts[background] = (counts[background] ?? 0) + 1
    }
  }
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0)
  const shares = Object.entries(counts)
    .sort(([, a], [, b]) => b - a)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ')
  const seconds = ((performance.now() - started) / 1000).toFixed(0)
  console.log(`${text.padEnd(30)} ${total} images: ${shares} (${seconds} s)`)
}
await unet.dispose()
