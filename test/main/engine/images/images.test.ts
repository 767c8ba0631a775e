import { describe, expect, it } from 'vitest'
import {
  quantizeTo8Bit,
  rgbaToTensor,
  roundHalfEven,
  tensorToRgba,
} from '../../../../main/engine/images/rgbaImage'
import { resizePlanes } from '../../../../main/engine/images/resize'

describe('tensor ↔ RGBA', () => {
  it('maps [-1, 1] to bytes as the notebooks do, rounding halves to even and clamping', () => {
    // one 2×1 image: channel planes R, G, B
    const tensor = Float32Array.of(-1, 1, 0, -2, 3 / 255, 0.5)
    const image = tensorToRgba(tensor, 0, 2, 1)
    // (0 + 1)·127.5 = 127.5 → 128; (3/255 + 1)·127.5 = 129 ; 0.5 → 191.25 → 191
    expect(Array.from(image.data)).toEqual([0, 128, 129, 255, 255, 0, 191, 255])
    expect(() => tensorToRgba(tensor, 1, 2, 1)).toThrow(RangeError)
  })

  it('round-trips every byte value', () => {
    const data = new Uint8Array(256 * 4)
    for (let v = 0; v < 256; v++) data.set([v, 255 - v, (v * 3) % 256, 17], v * 4)
    const back = tensorToRgba(rgbaToTensor({ width: 256, height: 1, data }), 0, 256, 1)
    for (let v = 0; v < 256; v++) {
      expect(Array.from(back.data.subarray(v * 4, v * 4 + 3))).toEqual([v, 255 - v, (v * 3) % 256])
      expect(back.data[v * 4 + 3]).toBe(255)
    }
  })

  it('quantises to 8-bit levels like the notebook, halves to even', () => {
    expect(roundHalfEven(2.5)).toBe(2)
    expect(roundHalfEven(3.5)).toBe(4)
    expect(roundHalfEven(-1.5)).toBe(-2)
    expect(Math.abs(roundHalfEven(-0.5))).toBe(0)
    const quantised = quantizeTo8Bit(Float32Array.of(-1, 0, 0.0039, 1, 0.5))
    expect(Array.from(quantised)).toEqual(
      [0, 128, 128, 255, 191].map((level) => Math.fround(Math.fround(level / 127.5) - 1)),
    )
  })
})

describe('resizePlanes', () => {
  it('averages areas when shrinking', () => {
    const plane = Float32Array.of(1, 3, 5, 7, 1, 3, 5, 7)
    expect(Array.from(resizePlanes(plane, 1, 4, 2, 2, 1))).toEqual([2, 6])
    // 3 → 2: the middle pixel is shared half and half
    expect(Array.from(resizePlanes(Float32Array.of(0, 3, 6), 1, 3, 1, 2, 1))).toEqual([1, 5])
  })

  it('interpolates bilinearly with pixel centres when enlarging', () => {
    const result = resizePlanes(Float32Array.of(0, 4), 1, 2, 1, 4, 1)
    expect(Array.from(result)).toEqual([0, 1, 3, 4])
  })

  it('keeps a mask within 0..1 and treats channels separately', () => {
    const mask = Float32Array.from({ length: 2 * 25 }, (_, i) => (i < 25 ? i % 2 : 1))
    const result = resizePlanes(mask, 2, 5, 5, 3, 7)
    expect(result.length).toBe(2 * 21)
    expect(result.subarray(0, 21).every((v) => v >= 0 && v <= 1)).toBe(true)
    expect(result.subarray(21).every((v) => Math.abs(v - 1) < 1e-6)).toBe(true)
    expect(() => resizePlanes(mask, 1, 5, 5, 3, 3)).toThrow(RangeError)
  })
})
