import { describe, expect, it } from 'vitest'

import { distanceStats } from '../../bench/convergenceStats'

describe('distanceStats', () => {
  it('gives the mean absolute, root-mean-square and largest difference', () => {
    const stats = distanceStats([0, 1, -1, 0.5], [0, 0, 1, 0.5])
    expect(stats.meanAbs).toBeCloseTo(3 / 4, 12)
    expect(stats.rms).toBeCloseTo(Math.sqrt(5 / 4), 12)
    expect(stats.maxAbs).toBe(2)
  })

  it('is zero for identical samples', () => {
    const sample = Float32Array.from([0.25, -0.75, 1])
    expect(distanceStats(sample, sample)).toEqual({ meanAbs: 0, rms: 0, maxAbs: 0 })
  })

  it('reports a NaN as the largest difference instead of hiding it', () => {
    expect(distanceStats([0, Number.NaN], [0, 0]).maxAbs).toBeNaN()
  })

  it('refuses samples of different lengths', () => {
    expect(() => distanceStats([1, 2], [1])).toThrow(RangeError)
  })
})
