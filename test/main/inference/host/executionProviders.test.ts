import { describe, expect, it } from 'vitest'
import {
  intraOpThreads,
  providerPreference,
} from '../../../../main/inference/host/executionProviders'
import { encodePng } from '../../../../main/inference/host/png'
import sharp from 'sharp'

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

describe('PNG writer', () => {
  it('writes pixels any decoder reads back', async () => {
    const rgba = new Uint8Array(3 * 2 * 4).map((_, index) => (index * 37) % 256)
    const png = encodePng(3, 2, rgba)
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true })
    expect([info.width, info.height, info.channels]).toEqual([3, 2, 4])
    expect(new Uint8Array(data)).toEqual(rgba)
    expect(() => encodePng(3, 2, rgba.subarray(1))).toThrow()
  })
})
