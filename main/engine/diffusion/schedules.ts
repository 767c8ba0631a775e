import { GlideError } from '../../../contract/errors'
import { respacingParts } from '../../../contract/generation'
import type { NoiseScheduleName } from '../glideOptions'
import { roundHalfEven } from '../images/rgbaImage'

/**
 * GLIDE's beta schedules and timestep respacing, computed in float64 exactly as glide-text2im does
 * with NumPy (gaussian_diffusion.py, respace.py), so respaced coefficients match bit for bit.
 */

export function betaSchedule(name: NoiseScheduleName, steps: number): Float64Array {
  if (!Number.isInteger(steps) || steps < 2) {
    throw new GlideError('INVALID_ARGUMENT', `A diffusion needs at least 2 steps, not ${steps}.`)
  }
  switch (name) {
    case 'linear': {
      const scale = 1000 / steps
      return linspace(scale * 0.0001, scale * 0.02, steps)
    }
    case 'squaredcos_cap_v2':
      return betasForAlphaBar(
        steps,
        (t) => cosineNearest((((t + 0.008) / 1.008) * Math.PI) / 2) ** 2,
        0.999,
      )
  }
}

/**
 * cos(x) for 0 ≤ x ≤ 2, rounded to the nearest double. NumPy's reference gets cos from the C
 * library (glibc: nearly always the nearest double); Math.cos is only faithful (V8 rounds 66 of the
 * 2000 cosines of the 1000-step schedule the other way, a 4e-13 relative change in beta). A Taylor
 * series in double-double arithmetic (about 106 bits) uses only exactly rounded operations, so it
 * is the same in every JavaScript engine.
 */
function cosineNearest(x: number): number {
  const [squareHigh, squareLow] = twoProduct(x, x)
  let termHigh = 1
  let termLow = 0
  let sumHigh = 1
  let sumLow = 0
  for (let k = 1; k <= 20; k++) {
    ;[termHigh, termLow] = multiplyDoubleDouble(termHigh, termLow, squareHigh, squareLow)
    ;[termHigh, termLow] = divideDoubleDouble(termHigh, termLow, -(2 * k - 1) * (2 * k))
    ;[sumHigh, sumLow] = addDoubleDouble(sumHigh, sumLow, termHigh, termLow)
  }
  return sumHigh + sumLow
}

function twoSum(a: number, b: number): [number, number] {
  const sum = a + b
  const bVirtual = sum - a
  return [sum, a - (sum - bVirtual) + (b - bVirtual)]
}

/** Dekker's exact product: a·b = high + low, with Veltkamp splitting (no fused multiply-add). */
function twoProduct(a: number, b: number): [number, number] {
  const splitter = 134217729 // 2^27 + 1
  const product = a * b
  let t = splitter * a
  const aHigh = t - (t - a)
  const aLow = a - aHigh
  t = splitter * b
  const bHigh = t - (t - b)
  const bLow = b - bHigh
  return [product, aHigh * bHigh - product + aHigh * bLow + aLow * bHigh + aLow * bLow]
}

function multiplyDoubleDouble(ah: number, al: number, bh: number, bl: number): [number, number] {
  const [product, error] = twoProduct(ah, bh)
  return twoSum(product, error + (ah * bl + al * bh))
}

function addDoubleDouble(ah: number, al: number, bh: number, bl: number): [number, number] {
  const [sum, error] = twoSum(ah, bh)
  return twoSum(sum, error + al + bl)
}

function divideDoubleDouble(ah: number, al: number, divisor: number): [number, number] {
  const quotient = ah / divisor
  const [product, error] = twoProduct(quotient, divisor)
  return twoSum(quotient, (ah - product - error + al) / divisor)
}

/** numpy.linspace(start, stop, count) with the endpoint: start + i·step, the last value exactly stop. */
function linspace(start: number, stop: number, count: number): Float64Array {
  const step = (stop - start) / (count - 1)
  const values = new Float64Array(count)
  for (let i = 0; i < count; i++) values[i] = i * step + start
  values[count - 1] = stop
  return values
}

function betasForAlphaBar(
  steps: number,
  alphaBar: (t: number) => number,
  maxBeta: number,
): Float64Array {
  const betas = new Float64Array(steps)
  for (let i = 0; i < steps; i++) {
    const t1 = i / steps
    const t2 = (i + 1) / steps
    betas[i] = Math.min(1 - alphaBar(t2) / alphaBar(t1), maxBeta)
  }
  return betas
}

/**
 * The timesteps kept out of `numTimesteps` for a respacing string, sorted ascending:
 * "ddimN" (an even stride giving exactly N steps), "fast27" ("10,10,3,2,2" with the noisiest step
 * replaced by the third noisiest), or comma-separated counts per equal section ("100", "10,10,3").
 * The empty string keeps every step. A "+N" suffix ("3,17+1") splits the noisiest step into N + 1
 * even ones: at t = T − 1 the cosine schedule leaves ᾱ ≈ 2e-9, so the first jump takes the
 * picture's overall colour from a single guess, and a finer first step decides it as the long
 * chains do. A "-t" suffix after it ("3,17+2-500") leaves the kept timestep t out.
 */
export function spaceTimesteps(numTimesteps: number, respacing: string): number[] {
  const parts = respacingParts(respacing)
  if (!parts) {
    throw new GlideError('INVALID_ARGUMENT', `Unknown timestep respacing "${respacing}".`)
  }
  let kept = spaceLayout(numTimesteps, parts.layout, respacing)
  if (parts.extraSteps > 0) kept = withNoisiestStepSplit(kept, parts.extraSteps, respacing)
  for (const timestep of parts.withoutTimesteps) {
    if (!kept.includes(timestep)) {
      throw new GlideError(
        'INVALID_ARGUMENT',
        `Respacing "${respacing}" cannot leave out timestep ${timestep}: it is not one of its steps.`,
      )
    }
  }
  const left = kept.filter((timestep) => !parts.withoutTimesteps.includes(timestep))
  if (left.length === 0) {
    throw new GlideError('INVALID_ARGUMENT', `Respacing "${respacing}" leaves no steps.`)
  }
  return left
}

/** space_timesteps for a layout without suffixes. */
function spaceLayout(numTimesteps: number, spec: string, respacing: string): number[] {
  if (spec === '') return Array.from({ length: numTimesteps }, (_, i) => i)
  if (spec.startsWith('ddim')) {
    const desired = parseCount(spec.slice('ddim'.length), respacing)
    for (let stride = 1; stride < numTimesteps; stride++) {
      if (Math.ceil(numTimesteps / stride) === desired) {
        return Array.from({ length: desired }, (_, i) => i * stride)
      }
    }
    throw new GlideError(
      'INVALID_ARGUMENT',
      `Cannot take exactly ${desired} evenly strided steps out of ${numTimesteps}.`,
    )
  }
  if (spec === 'fast27') {
    const steps = new Set(spaceLayout(numTimesteps, '10,10,3,2,2', respacing))
    steps.delete(numTimesteps - 1)
    steps.add(numTimesteps - 3)
    return [...steps].sort((a, b) => a - b)
  }
  const sectionCounts = spec.split(',').map((part) => parseCount(part, respacing))
  const sizePer = Math.floor(numTimesteps / sectionCounts.length)
  const extra = numTimesteps % sectionCounts.length
  let startIndex = 0
  const kept = new Set<number>()
  sectionCounts.forEach((sectionCount, section) => {
    const size = sizePer + (section < extra ? 1 : 0)
    if (size < sectionCount) {
      throw new GlideError(
        'INVALID_ARGUMENT',
        `Cannot take ${sectionCount} steps out of a section of ${size} (respacing "${respacing}").`,
      )
    }
    const stride = sectionCount <= 1 ? 1 : (size - 1) / (sectionCount - 1)
    let position = 0
    for (let i = 0; i < sectionCount; i++) {
      kept.add(startIndex + roundHalfEven(position))
      position += stride
    }
    startIndex += size
  })
  return [...kept].sort((a, b) => a - b)
}

/** `kept` with `extra` more timesteps evenly between its two noisiest. */
function withNoisiestStepSplit(kept: number[], extra: number, respacing: string): number[] {
  const noisiest = kept[kept.length - 1]
  const next = kept[kept.length - 2]
  if (noisiest === undefined || next === undefined || noisiest - next - 1 < extra) {
    throw new GlideError(
      'INVALID_ARGUMENT',
      `Cannot split the noisiest step of respacing "${respacing}" into ${extra + 1}.`,
    )
  }
  const added = Array.from(
    { length: extra },
    (_, i) => next + roundHalfEven(((noisiest - next) * (i + 1)) / (extra + 1)),
  )
  return [...kept.slice(0, -1), ...added, noisiest]
}

function parseCount(text: string, respacing: string): number {
  const trimmed = text.trim()
  if (!/^\d+$/.test(trimmed)) {
    throw new GlideError('INVALID_ARGUMENT', `Unknown timestep respacing "${respacing}".`)
  }
  return Number.parseInt(trimmed, 10)
}

export interface RespacedSchedule {
  /** The betas of the respaced chain: 1 − ᾱ(kept[i]) / ᾱ(kept[i−1]), with ᾱ before the first = 1. */
  betas: Float64Array
  /** Respaced index → original timestep (what the model receives). */
  timestepMap: number[]
}

export function respaceSchedule(
  betas: Float64Array,
  keptTimesteps: readonly number[],
): RespacedSchedule {
  const kept = new Set(keptTimesteps)
  const newBetas: number[] = []
  const timestepMap: number[] = []
  let alphaCumprod = 1
  let lastKeptAlphaCumprod = 1
  for (let i = 0; i < betas.length; i++) {
    alphaCumprod *= 1 - (betas[i] ?? 0)
    if (kept.has(i)) {
      newBetas.push(1 - alphaCumprod / lastKeptAlphaCumprod)
      lastKeptAlphaCumprod = alphaCumprod
      timestepMap.push(i)
    }
  }
  return { betas: Float64Array.from(newBetas), timestepMap }
}

/**
 * The schedule of a model's diffusion, respaced: what a sampler runs over. With `maxTimestep`, only
 * the kept timesteps up to it remain (a chain that starts from a noised image, not from noise).
 */
export function respacedSchedule(
  noiseSchedule: NoiseScheduleName,
  diffusionSteps: number,
  respacing: string,
  maxTimestep?: number,
): RespacedSchedule {
  const betas = betaSchedule(noiseSchedule, diffusionSteps)
  const kept = spaceTimesteps(diffusionSteps, respacing)
  return respaceSchedule(
    betas,
    maxTimestep === undefined ? kept : kept.filter((t) => t <= maxTimestep),
  )
}

/**
 * A chain that starts at `lastTimestep` (an image noised to that step): the respacing is spaced over
 * the timesteps 0..lastTimestep, so "6" runs 6 steps, the noisiest of them at lastTimestep itself.
 */
export function respacedScheduleFrom(
  noiseSchedule: NoiseScheduleName,
  diffusionSteps: number,
  respacing: string,
  lastTimestep: number,
): RespacedSchedule {
  if (!Number.isInteger(lastTimestep) || lastTimestep < 0 || lastTimestep >= diffusionSteps) {
    throw new GlideError(
      'INVALID_ARGUMENT',
      `A chain cannot start at timestep ${lastTimestep} of ${diffusionSteps}.`,
    )
  }
  const betas = betaSchedule(noiseSchedule, diffusionSteps)
  return respaceSchedule(betas, spaceTimesteps(lastTimestep + 1, respacing))
}
