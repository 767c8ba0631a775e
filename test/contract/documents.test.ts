import { describe, expect, it } from 'vitest'
import { zGenerationInfo, type GenerationInfo } from '../../contract/documents'
import { generationLimits } from '../../contract/generation'

/** A record as a layer of a saved project holds it. */
const record = (changes: Partial<GenerationInfo> = {}): unknown => ({
  kind: 'inpaint',
  prompt: 'a yellow star',
  seed: 3,
  batchIndex: 0,
  guidanceScale: 5,
  baseRespacing: '100',
  upsampleRespacing: 'fast27',
  upsampleTemperature: 0.997,
  model: 'glide-mini-base',
  frame: { x: 384, y: 96, width: 256, height: 256 },
  ...changes,
})

describe("a layer's generation record", () => {
  it('reads every record older files could hold (what jobs admitted, steps 0 included)', () => {
    // Jobs always refused prompts over 1000 characters and guidance over 50; the record kept
    // respacings up to 32 characters; before steps ≥ 1 a respacing could be "0".
    for (const changes of [
      { prompt: 'x'.repeat(1000) },
      { guidanceScale: 50 },
      { guidanceScale: 0 },
      { baseRespacing: '0', upsampleRespacing: '0' },
      { baseRespacing: '1,'.repeat(16).slice(0, 32) },
    ]) {
      expect(zGenerationInfo.safeParse(record(changes)).success, JSON.stringify(changes)).toBe(true)
    }
  })

  it("uses contract/generation's limits, not its own", () => {
    const refused = (changes: Partial<GenerationInfo>) =>
      zGenerationInfo.safeParse(record(changes)).success === false
    expect(refused({ prompt: 'x'.repeat(generationLimits.promptChars + 1) })).toBe(true)
    expect(refused({ guidanceScale: generationLimits.guidanceScale.max + 0.5 })).toBe(true)
    expect(refused({ guidanceScale: generationLimits.guidanceScale.min - 0.5 })).toBe(true)
    expect(refused({ baseRespacing: '1'.repeat(generationLimits.respacingChars + 1) })).toBe(true)
    expect(refused({ baseRespacing: '1'.repeat(generationLimits.respacingChars) })).toBe(false)
  })
})
