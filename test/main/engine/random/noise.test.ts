import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { naturalLog, RecordedNoise, SeededNoise } from '../../../../main/engine/random/noise'
import { Xoshiro128StarStar } from '../../../../main/engine/random/xoshiro128'

function littleEndianSha256(values: Float32Array): string {
  const bytes = new DataView(new ArrayBuffer(values.length * 4))
  values.forEach((value, i) => bytes.setFloat32(i * 4, value, true))
  return createHash('sha256').update(new Uint8Array(bytes.buffer)).digest('hex')
}

describe('xoshiro128** seeded by SplitMix64', () => {
  // Expected words from the C reference algorithm (xoshiro128starstar.c and splitmix64.c)
  // compiled with gcc and seeded the same way.
  it.each([
    [0, [3737715805, 2584255861, 2876756834, 3286328325, 1553311962, 1625202774]],
    [42, [1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222]],
    [4294967295, [331202089, 2303545133, 2732085799, 1755962312, 20464611, 435992899]],
  ])('matches the C reference for seed %i', (seed, expected) => {
    const generator = new Xoshiro128StarStar(seed)
    expect(expected.map(() => generator.nextUint32())).toEqual(expected)
  })

  it('refuses seeds outside uint32', () => {
    expect(() => new Xoshiro128StarStar(-1)).toThrow(RangeError)
    expect(() => new Xoshiro128StarStar(2 ** 32)).toThrow(RangeError)
    expect(() => new Xoshiro128StarStar(1.5)).toThrow(RangeError)
  })
})

describe('SeededNoise', () => {
  it('produces the golden stream for seed 1234', () => {
    const values = new SeededNoise(1234).normal(4096)
    expect(Array.from(values.slice(0, 4))).toEqual([
      1.7776581048965454, 1.1298778057098389, -0.2876385450363159, -0.08347636461257935,
    ])
    expect(littleEndianSha256(values)).toBe(
      '79c4ca3c19aac735f38801145cbc6e52f9a066a1a809df26d69bdec87c9227be',
    )
  })

  it('is one stream whatever the chunking', () => {
    const whole = new SeededNoise(7).normal(1001)
    const chunked = new SeededNoise(7)
    const parts = [chunked.normal(1), chunked.normal(0), chunked.normal(333), chunked.normal(667)]
    const joined = new Float32Array(1001)
    let offset = 0
    for (const part of parts) {
      joined.set(part, offset)
      offset += part.length
    }
    expect(joined).toEqual(whole)
  })

  it('draws standard normals', () => {
    const values = new SeededNoise(99).normal(400_000)
    let sum = 0
    let squares = 0
    let beyondTwo = 0
    for (const value of values) {
      sum += value
      squares += value * value
      if (Math.abs(value) > 2) beyondTwo++
    }
    const mean = sum / values.length
    const variance = squares / values.length - mean * mean
    expect(Math.abs(mean)).toBeLessThan(0.01)
    expect(Math.abs(variance - 1)).toBeLessThan(0.01)
    // P(|z| > 2) = 0.0455
    expect(Math.abs(beyondTwo / values.length - 0.0455)).toBeLessThan(0.002)
  })

  it('gives different streams for different seeds and the same for the same seed', () => {
    const first = new SeededNoise(1).normal(64)
    const second = new SeededNoise(2).normal(64)
    expect(first).not.toEqual(second)
    expect(new SeededNoise(1).normal(64)).toEqual(first)
  })
})

describe('naturalLog', () => {
  it('agrees with Math.log to a few units in the last place', () => {
    for (const x of [1, 0.5, 0.999999, 1e-5, 2 ** -62, 0.7071067811865476, 0.123456789, 3, 1e300]) {
      expect(Math.abs(naturalLog(x) - Math.log(x))).toBeLessThanOrEqual(
        4 * Number.EPSILON * Math.max(Math.abs(Math.log(x)), 1e-300),
      )
    }
    expect(naturalLog(1)).toBe(0)
    expect(naturalLog(0)).toBeNaN()
  })
})

describe('RecordedNoise', () => {
  it('replays draws in order and refuses a mismatched count', () => {
    const noise = new RecordedNoise([Float32Array.of(1, 2), Float32Array.of(3)])
    expect(Array.from(noise.normal(2))).toEqual([1, 2])
    expect(() => noise.normal(2)).toThrow(/1 values/)
    expect(noise.remaining).toBe(1)
    expect(Array.from(noise.normal(1))).toEqual([3])
    expect(() => noise.normal(1)).toThrow(/not recorded/)
  })
})
