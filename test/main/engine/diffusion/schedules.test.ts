import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  betaSchedule,
  respaceSchedule,
  respacedSchedule,
  spaceTimesteps,
} from '../../../../main/engine/diffusion/schedules'

const reference = JSON.parse(
  readFileSync(
    new URL('../../../fixtures/glide-reference/schedules.json', import.meta.url),
    'utf8',
  ),
) as {
  betas_linear: number[]
  betas_squaredcos_cap_v2: number[]
  respacing: Record<string, number[]>
}

function maxRelativeError(actual: Float64Array, expected: readonly number[]): number {
  let worst = 0
  expected.forEach((value, i) => {
    worst = Math.max(worst, Math.abs((actual[i] ?? Number.NaN) - value) / Math.abs(value))
  })
  return worst
}

describe('beta schedules', () => {
  it('reproduces the linear schedule of GLIDE bit for bit', () => {
    const betas = betaSchedule('linear', 1000)
    expect(betas.length).toBe(1000)
    expect(Array.from(betas)).toEqual(reference.betas_linear)
  })

  it('reproduces squaredcos_cap_v2 to float64 precision', () => {
    const betas = betaSchedule('squaredcos_cap_v2', 1000)
    expect(betas.length).toBe(1000)
    // glibc's cos misrounds cos(1.153163970067682) (a near-halfway case), which moves betas 731
    // and 732 of the reference by one part in 6e13; every other beta is identical.
    const identical = reference.betas_squaredcos_cap_v2.filter((beta, i) => betas[i] === beta)
    expect(identical.length).toBeGreaterThanOrEqual(998)
    expect(maxRelativeError(betas, reference.betas_squaredcos_cap_v2)).toBeLessThan(2e-14)
    expect(betas[999]).toBe(0.999)
  })

  it('scales the linear schedule for other step counts', () => {
    const betas = betaSchedule('linear', 100)
    expect(betas[0]).toBeCloseTo(0.001, 15)
    expect(betas[99]).toBeCloseTo(0.2, 15)
  })
})

describe('timestep respacing', () => {
  it.each(Object.entries(reference.respacing))(
    'keeps the same timesteps as GLIDE for "%s"',
    (name, kept) => {
      expect(spaceTimesteps(1000, name)).toEqual(kept)
    },
  )

  it('keeps every step for the empty respacing', () => {
    expect(spaceTimesteps(10, '')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('splits the noisiest step evenly for a "+N" suffix and keeps every other step', () => {
    const sections = spaceTimesteps(1000, '3,17')
    expect(sections.slice(-2)).toEqual([968, 999])
    expect(spaceTimesteps(1000, '3,17+1')).toEqual([...sections.slice(0, -1), 984, 999])
    expect(spaceTimesteps(1000, '3,17+2').slice(-4)).toEqual([968, 978, 989, 999])
    expect(spaceTimesteps(1000, 'fast27+1')).toHaveLength(28)
    expect(() => spaceTimesteps(1000, '1+1')).toThrow(/noisiest/)
    expect(() => spaceTimesteps(10, '10+1')).toThrow(/noisiest/)
  })

  it('leaves out the timesteps a "-t" suffix names, after any "+N" split', () => {
    const fastLayout = spaceTimesteps(1000, '3,17+2')
    expect(fastLayout.slice(0, 5)).toEqual([0, 250, 499, 500, 531])
    expect(spaceTimesteps(1000, '3,17+2-500')).toEqual(fastLayout.filter((t) => t !== 500))
    expect(spaceTimesteps(1000, '3,17-0-999')).toEqual(
      spaceTimesteps(1000, '3,17').filter((t) => t !== 0 && t !== 999),
    )
    expect(() => spaceTimesteps(1000, '3,17-501')).toThrow(/cannot leave out timestep 501/)
    expect(() => spaceTimesteps(10, '1-0')).toThrow(/no steps/)
    expect(() => spaceTimesteps(1000, '20-5-5')).toThrow(/Unknown/)
  })

  it('rejects impossible or malformed respacings', () => {
    expect(() => spaceTimesteps(1000, '300,300,300,300')).toThrow(/section/)
    expect(() => spaceTimesteps(1000, 'ddim999')).toThrow(/strided/)
    expect(() => spaceTimesteps(1000, 'fast')).toThrow(/Unknown/)
  })

  it('respaces betas so the kept cumulative alphas are unchanged', () => {
    const betas = betaSchedule('squaredcos_cap_v2', 1000)
    const { betas: spaced, timestepMap } = respacedSchedule('squaredcos_cap_v2', 1000, '25')
    expect(timestepMap).toEqual(reference.respacing['25'])
    let fullCumprod = 1
    const fullAtKept: number[] = []
    betas.forEach((beta, i) => {
      fullCumprod *= 1 - beta
      if (timestepMap.includes(i)) fullAtKept.push(fullCumprod)
    })
    let spacedCumprod = 1
    spaced.forEach((beta, i) => {
      spacedCumprod *= 1 - beta
      expect(Math.abs(spacedCumprod - (fullAtKept[i] ?? 0))).toBeLessThan(1e-15)
    })
  })

  it('leaves a schedule that keeps every step unchanged', () => {
    const betas = betaSchedule('linear', 1000)
    const { betas: spaced } = respaceSchedule(betas, spaceTimesteps(1000, ''))
    expect(maxRelativeError(spaced, Array.from(betas))).toBeLessThan(1e-12)
  })
})
