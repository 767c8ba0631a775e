import { describe, expect, it } from 'vitest'
import { generationDefaults } from '../../../contract/generation'
import { countingGlideUNet } from '../../../main/engine/glideModel'
import { textToImage } from '../../../main/engine/pipelines'
import { smallModels } from './pipelines/analyticUNet'

describe('countingGlideUNet', () => {
  it('reports the rows of every denoise call and leaves the images as they were', async () => {
    const params = {
      ...generationDefaults.sampling,
      prompt: 'a corgi',
      batchSize: 2,
      baseRespacing: '10',
      upsampleRespacing: '4',
      seed: 3,
      guidanceCutoff: 0.45,
    }
    const rows = { base: 0, upsample: 0 }
    const plain = smallModels()
    const counted = smallModels()
    if (!plain.upsampler || !counted.upsampler) throw new Error('no upsampler')
    const expected = await textToImage(plain, params)
    const images = await textToImage(
      {
        base: countingGlideUNet(counted.base, (n) => (rows.base += n)),
        upsampler: countingGlideUNet(counted.upsampler, (n) => (rows.upsample += n)),
      },
      params,
    )
    expect(images).toEqual(expected)
    // Base "10": timesteps 0, 111, …, 999; the 5 below 450 run the 2 caption rows alone.
    expect(rows.base).toBe(5 * 4 + 5 * 2)
    expect(rows.upsample).toBe(4 * 2)
    const seen = counted.base.denoiseCalls.reduce((sum, call) => sum + call.timesteps.length, 0)
    expect(rows.base).toBe(seen)
  })
})
