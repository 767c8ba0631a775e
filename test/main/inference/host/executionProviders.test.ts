import { describe, expect, it } from 'vitest'
import {
  intraOpThreads,
  providerPreference,
} from '../../../../main/inference/host/executionProviders'

describe('execution providers', () => {
  it('prefers the platform GPU provider and always ends with CPU', () => {
    expect(providerPreference('auto', 'linux')).toEqual(['cuda', 'cpu'])
    expect(providerPreference('auto', 'win32')).toEqual(['cuda', 'directml', 'cpu'])
    expect(providerPreference('auto', 'darwin')).toEqual(['coreml', 'cpu'])
    expect(providerPreference('auto', 'freebsd')).toEqual(['cpu'])
    expect(providerPreference('directml', 'win32')).toEqual(['directml', 'cpu'])
    expect(providerPreference('cpu', 'linux')).toEqual(['cpu'])
  })

  it('leaves a core free when there are at least four', () => {
    expect([1, 2, 3, 4, 8, 16].map(intraOpThreads)).toEqual([1, 2, 3, 3, 7, 15])
    expect(intraOpThreads(0)).toBe(1)
  })
})
