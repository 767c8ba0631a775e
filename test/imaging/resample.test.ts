import { describe, expect, it } from 'vitest'
import { lanczos3, resamplePlanes, resampleRgba, resampleRgbaWindow } from '../../imaging/resample'

const meanAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0))
  return sum / a.length
}

describe('Lanczos-3', () => {
  it('is 1 at 0, 0 at the other integers and outside ±3, sinc(x)·sinc(x/3) between', () => {
    expect(lanczos3(0)).toBe(1)
    for (const x of [1, 2, -1, -2, 3, -3, 4]) expect(lanczos3(x)).toBeCloseTo(0, 12)
    // 3·sin(π/2)·sin(π/6) / (π²/4)
    expect(lanczos3(0.5)).toBeCloseTo(6 / Math.PI ** 2, 12)
    expect(lanczos3(1.5)).toBeCloseTo(lanczos3(-1.5), 12)
    expect(lanczos3(1.5)).toBeLessThan(0)
  })

  it('enlarges a smooth signal closer to the truth than linear interpolation', () => {
    // A sine of period 16 source pixels, sampled at pixel centres, enlarged ×4.
    const source = 64
    const target = 256
    const signal = (u: number) => Math.sin((2 * Math.PI * u) / 16)
    const samples = Float32Array.from({ length: source }, (_, i) => signal(i + 0.5))
    const enlarged = resamplePlanes(samples, 1, source, 1, target, 1)
    const truth = Array.from({ length: target }, (_, i) => signal(((i + 0.5) * source) / target))
    const linear = Array.from({ length: target }, (_, i) => {
      const u = Math.min(Math.max(((i + 0.5) * source) / target - 0.5, 0), source - 1)
      const j = Math.floor(u)
      const f = u - j
      return (samples[j] ?? 0) * (1 - f) + (samples[Math.min(j + 1, source - 1)] ?? 0) * f
    })
    // Away from the clamped borders.
    const inner = (values: ArrayLike<number>) => Array.from(values).slice(16, target - 16)
    const lanczosError = meanAbs(inner(enlarged), inner(truth))
    const linearError = meanAbs(inner(linear), inner(truth))
    expect(lanczosError).toBeLessThan(0.004)
    expect(lanczosError).toBeLessThan(linearError / 2.5)
  })

  it('keeps a constant exactly and a linear ramp within 0.02 px in the interior', () => {
    const flat = resamplePlanes(new Float32Array(10).fill(0.25), 1, 10, 1, 37, 1)
    for (const value of flat) expect(value).toBeCloseTo(0.25, 6)
    const ramp = Float32Array.from({ length: 32 }, (_, i) => i + 0.5)
    const up = resamplePlanes(ramp, 1, 32, 1, 96, 1)
    for (let i = 12; i < 84; i++) {
      expect(Math.abs((up[i] ?? 0) - ((i + 0.5) * 32) / 96)).toBeLessThan(0.02)
    }
  })
})

describe('reducing', () => {
  it('is the area average (2×2 blocks; a 3→2 split counts partial pixels)', () => {
    const planes = Float32Array.from([1, 3, 5, 7, 2, 4, 6, 8])
    expect(Array.from(resamplePlanes(planes, 1, 4, 2, 2, 1))).toEqual([2.5, 6.5])
    const three = Float32Array.from([0, 3, 6])
    const two = resamplePlanes(three, 1, 3, 1, 2, 1)
    expect(two[0]).toBeCloseTo((0 * 1 + 3 * 0.5) / 1.5, 6)
    expect(two[1]).toBeCloseTo((3 * 0.5 + 6 * 1) / 1.5, 6)
  })

  it('does not alias a one-pixel checkerboard into stripes', () => {
    const size = 64
    const board = Float32Array.from(
      { length: size * size },
      (_, i) => ((i % size) + Math.floor(i / size)) % 2,
    )
    const small = resamplePlanes(board, 1, size, size, 24, 24)
    for (const value of small) expect(value).toBeCloseTo(0.5, 1)
  })
})

describe('RGBA', () => {
  it('weights colours by alpha: a transparent neighbour never tints the result', () => {
    const data = new Uint8Array([0, 0, 255, 255, 255, 0, 0, 0])
    const up = resampleRgba({ width: 2, height: 1, data }, 8, 1)
    for (let x = 0; x < 8; x++) {
      if ((up.data[x * 4 + 3] ?? 0) === 0) continue
      expect(up.data[x * 4]).toBe(0)
      expect(up.data[x * 4 + 2]).toBe(255)
    }
  })

  it('leaves an opaque flat colour exactly as it was at any size', () => {
    const data = new Uint8Array(5 * 3 * 4)
    for (let i = 0; i < 15; i++) data.set([168, 208, 240, 255], i * 4)
    for (const [w, h] of [
      [17, 11],
      [2, 1],
      [5, 3],
    ] as const) {
      const out = resampleRgba({ width: 5, height: 3, data }, w, h)
      for (let i = 0; i < w * h; i++) {
        expect(Array.from(out.data.subarray(i * 4, i * 4 + 4))).toEqual([168, 208, 240, 255])
      }
    }
  })
})

describe('resampleRgbaWindow', () => {
  it('gives exactly the part of the full resize inside the window', () => {
    let seed = 7
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
    for (const [width, height, targetWidth, targetHeight] of [
      [64, 48, 256, 200],
      [300, 200, 97, 413],
      [64, 48, 64, 48],
    ] as const) {
      const data = new Uint8ClampedArray(width * height * 4).map(() => Math.floor(random() * 256))
      for (let i = 3; i < data.length; i += 16) data[i] = 0
      const image = { width, height, data }
      const full = resampleRgba(image, targetWidth, targetHeight)
      const window = { x: 11, y: 17, width: targetWidth >> 1, height: targetHeight >> 1 }
      const part = resampleRgbaWindow(image, targetWidth, targetHeight, window)
      expect([part.width, part.height]).toEqual([window.width, window.height])
      for (let y = 0; y < window.height; y++) {
        const start = ((window.y + y) * targetWidth + window.x) * 4
        expect(part.data.subarray(y * window.width * 4, (y + 1) * window.width * 4)).toEqual(
          full.data.subarray(start, start + window.width * 4),
        )
      }
    }
  })

  it('refuses a window outside the target', () => {
    const image = { width: 2, height: 2, data: new Uint8ClampedArray(16) }
    expect(() => resampleRgbaWindow(image, 4, 4, { x: 2, y: 0, width: 3, height: 1 })).toThrow(
      RangeError,
    )
    expect(() => resampleRgbaWindow(image, 4, 4, { x: 0, y: 0, width: 0, height: 1 })).toThrow(
      RangeError,
    )
  })
})
