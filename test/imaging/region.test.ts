import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { blendOver } from '../../imaging/compositing'
import { intersectRects } from '../../imaging/geometry'
import {
  edgeColourMismatch,
  fitFrameAroundMask,
  maxColourMatchShift,
  regionInputs,
  regionLayerPixels,
} from '../../imaging/region'

const sky = [168, 208, 240, 255] as const

function flat(width: number, height: number, colour: readonly number[] = sky) {
  const data = new Uint8ClampedArray(width * height * 4)
  for (let i = 0; i < width * height; i++) data.set(colour, i * 4)
  return { width, height, data }
}

function squareMask(side: number, x0: number, y0: number, size: number): Uint8ClampedArray {
  const mask = new Uint8ClampedArray(side * side)
  for (let y = y0; y < y0 + size; y++) mask.fill(255, y * side + x0, y * side + x0 + size)
  return mask
}

describe('fitFrameAroundMask', () => {
  it('is a square holding the mask with padding, inside the canvas', () => {
    const frame = fitFrameAroundMask(
      { x: 500, y: 150, width: 100, height: 120 },
      {
        width: 640,
        height: 448,
      },
    )
    expect(frame.width).toBe(frame.height)
    expect(frame.width).toBe(256)
    expect(frame.x).toBeGreaterThanOrEqual(0)
    expect(frame.x + frame.width).toBeLessThanOrEqual(640)
    expect(frame.x).toBeLessThanOrEqual(500)
    expect(frame.y).toBeLessThanOrEqual(150)
    expect(frame.y + frame.height).toBeGreaterThanOrEqual(270)
  })

  it('stays inside a small canvas (no transparent outside by accident) unless the mask is larger', () => {
    const small = fitFrameAroundMask(
      { x: 72, y: 40, width: 48, height: 48 },
      {
        width: 128,
        height: 128,
      },
    )
    expect(small).toEqual({ x: 0, y: 0, width: 128, height: 128 })
    const wide = fitFrameAroundMask(
      { x: 10, y: 0, width: 300, height: 100 },
      {
        width: 400,
        height: 100,
      },
    )
    expect(wide.width).toBe(300)
  })
})

describe('fitFrameAroundMask with the picture known', () => {
  const canvas = { width: 1024, height: 1024 }
  // A text-to-image result: 512 px in the middle of a blank 1024 px canvas.
  const picture = { x: 256, y: 256, width: 512, height: 512 }
  const pictureBoundsIn = (window: { x: number; y: number; width: number; height: number }) =>
    intersectRects(picture, window)
  const inside = (
    frame: { x: number; y: number; width: number; height: number },
    area: { x: number; y: number; width: number; height: number },
  ) =>
    frame.x >= area.x &&
    frame.y >= area.y &&
    frame.x + frame.width <= area.x + area.width &&
    frame.y + frame.height <= area.y + area.height

  it('keeps a mask near the picture edge from reaching the blank canvas beside it', () => {
    const mask = { x: 540, y: 298, width: 208, height: 222 }
    // Without the picture known the padded frame spills past the picture's right edge (768).
    const canvasOnly = fitFrameAroundMask(mask, canvas)
    expect(canvasOnly.x + canvasOnly.width).toBeGreaterThan(768)
    const frame = fitFrameAroundMask(mask, canvas, { pictureBoundsIn })
    expect(frame).toEqual({ x: 482, y: 266, width: 286, height: 286 })
    expect(inside(frame, picture)).toBe(true)
    expect(inside(mask, frame)).toBe(true)
  })

  it('shrinks below minSide rather than leave a small picture', () => {
    const small = { x: 100, y: 100, width: 128, height: 128 }
    const frame = fitFrameAroundMask({ x: 150, y: 150, width: 20, height: 20 }, canvas, {
      pictureBoundsIn: (window) => intersectRects(small, window),
    })
    expect(frame).toEqual(small)
  })

  it('reaches as far as the mask does past the picture (outpainting)', () => {
    const mask = { x: 700, y: 300, width: 150, height: 100 }
    const frame = fitFrameAroundMask(mask, canvas, { pictureBoundsIn })
    expect(inside(mask, frame)).toBe(true)
    expect(inside(frame, { x: 256, y: 256, width: 594, height: 512 })).toBe(true)
    // Centred on the mask, it keeps as much picture beside it as the union allows.
    expect(frame.x).toBe(850 - frame.width)
  })

  it('fits to the canvas where the picture is blank near the mask', () => {
    const mask = { x: 600, y: 600, width: 40, height: 40 }
    const corner = { x: 0, y: 0, width: 100, height: 100 }
    expect(
      fitFrameAroundMask(mask, canvas, {
        pictureBoundsIn: (window) => intersectRects(corner, window),
      }),
    ).toEqual(fitFrameAroundMask(mask, canvas))
  })

  it('takes in the picture beside a mask painted on the blank canvas', () => {
    const mask = { x: 20, y: 300, width: 40, height: 40 }
    const frame = fitFrameAroundMask(mask, canvas, { pictureBoundsIn })
    // From the mask's left edge towards the picture, so the models see the picture's edge.
    expect(frame.x).toBe(20)
    expect(frame.x + frame.width).toBeGreaterThan(256)
  })

  it('asks only about the picture within one frame side of the mask', () => {
    const windows: { x: number; y: number; width: number; height: number }[] = []
    const mask = { x: 600, y: 600, width: 50, height: 50 }
    fitFrameAroundMask(mask, canvas, {
      pictureBoundsIn: (window) => {
        windows.push(window)
        return pictureBoundsIn(window)
      },
    })
    expect(windows).toEqual([{ x: 344, y: 344, width: 562, height: 562 }])
  })
})

describe('regionInputs', () => {
  it('counts transparent pixels as "to generate" and never shows the models black', () => {
    const composite = flat(100, 100)
    for (let y = 0; y < 100; y++) composite.data.fill(0, (y * 100 + 60) * 4, (y * 100 + 100) * 4)
    const inputs = regionInputs(composite, null, { width: 50, height: 50 })
    expect(inputs.anyToGenerate).toBe(true)
    expect(inputs.regenerate[50 * 100 + 80]).toBe(255)
    expect(inputs.regenerate[50 * 100 + 20]).toBe(0)
    expect(inputs.keepMask[25 * 50 + 40]).toBe(0)
    expect(inputs.keepMask[25 * 50 + 10]).toBe(255)
    for (let i = 0; i < 50 * 50; i++) {
      expect(inputs.image.data[i * 4 + 3]).toBe(255)
      expect(inputs.image.data[i * 4 + 2]).toBeGreaterThan(200)
    }
  })

  it('reports whether any pixel is known: none in a blank frame, some beside a painted mask', () => {
    const blank = { width: 20, height: 20, data: new Uint8ClampedArray(20 * 20 * 4) }
    const empty = regionInputs(blank, null, { width: 10, height: 10 })
    expect(empty.anyToGenerate).toBe(true)
    expect(empty.anyKnown).toBe(false)
    const painted = new Uint8ClampedArray(100 * 100).fill(255)
    painted[0] = 0
    const some = regionInputs(flat(100, 100), painted, { width: 50, height: 50 })
    expect(some.anyKnown).toBe(true)
    expect(regionInputs(flat(100, 100), null, { width: 50, height: 50 }).anyToGenerate).toBe(false)
  })

  it('keeps a model pixel only when everything under it is kept, for soft masks too', () => {
    const painted = new Uint8ClampedArray(9 * 9)
    painted[4 * 9 + 4] = 3 // a faint dab
    const inputs = regionInputs(flat(9, 9), painted, { width: 3, height: 3 })
    expect(Array.from(inputs.keepMask)).toEqual([255, 255, 255, 255, 0, 255, 255, 255, 255])
  })
})

describe('regionLayerPixels', () => {
  it('leaves every pixel outside the region unchanged, for any mask, result and feather', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 0, max: 255 }),
        fc.option(fc.integer({ min: 0, max: 12 }), { nil: null }),
        fc.boolean(),
        (x0, y0, size, shade, featherPx, colourMatch) => {
          const side = 64
          const composite = flat(side, side, [shade, 100, 255 - shade, 255])
          const mask = squareMask(side, x0, y0, size)
          const result = flat(32, 32, [255 - shade, 30, shade, 255])
          const layer = regionLayerPixels(result, composite, mask, { featherPx, colourMatch })
          const after = new Uint8ClampedArray(composite.data)
          blendOver(after, layer, 1)
          for (let i = 0; i < side * side; i++) {
            if (mask[i] !== 0) continue
            for (let c = 0; c < 4; c++) {
              if (after[i * 4 + c] !== composite.data[i * 4 + c]) return false
            }
          }
          return true
        },
      ),
      { numRuns: 60, seed: 15 },
    )
  })

  it('fills transparent pixels completely: no holes remain after outpainting', () => {
    const composite = flat(40, 40)
    for (let y = 0; y < 40; y++) composite.data.fill(0, (y * 40 + 20) * 4, (y * 40 + 40) * 4)
    const inputs = regionInputs(composite, null, { width: 20, height: 20 })
    const layer = regionLayerPixels(flat(20, 20, [10, 20, 30, 255]), composite, inputs.regenerate, {
      featherPx: 4,
      colourMatch: false,
    })
    const after = new Uint8ClampedArray(composite.data)
    blendOver(after, layer, 1)
    for (let i = 0; i < 40 * 40; i++) expect(after[i * 4 + 3]).toBe(255)
    expect(Array.from(after.subarray((10 * 40 + 5) * 4, (10 * 40 + 5) * 4 + 4))).toEqual([...sky])
    expect(Array.from(after.subarray((10 * 40 + 30) * 4, (10 * 40 + 30) * 4 + 4))).toEqual([
      10, 20, 30, 255,
    ])
  })

  it('feathers inwards by the setting: wider feather, softer edge; 0 = hard edge', () => {
    const composite = flat(64, 64)
    const mask = squareMask(64, 16, 16, 32)
    const result = flat(64, 64, [0, 0, 0, 255])
    const alphaAt = (featherPx: number, x: number) =>
      regionLayerPixels(result, composite, mask, { featherPx, colourMatch: false })[
        (32 * 64 + x) * 4 + 3
      ]
    expect(alphaAt(0, 16)).toBe(255)
    expect(alphaAt(4, 16)).toBeLessThan(255)
    expect(alphaAt(4, 16)).toBeGreaterThan(0)
    expect(alphaAt(8, 18)).toBeLessThan(alphaAt(2, 18) ?? 0)
    expect(alphaAt(8, 32)).toBe(255)
  })

  /**
   * A stroke of a mask 20 px wide and 96 long across a grey picture, and a fill of it that holds a
   * new bright disc across the stroke's middle (what "a yellow circle" painted into a stroke gives).
   */
  const grey = [128, 126, 130, 255] as const
  function strokeCase(background: readonly number[]) {
    const composite = flat(128, 128, grey)
    const mask = new Uint8ClampedArray(128 * 128)
    for (let y = 16; y < 112; y++) mask.fill(255, y * 128 + 54, y * 128 + 74)
    const result = flat(128, 128, background)
    for (let y = 0; y < 128; y++) {
      for (let x = 0; x < 128; x++) {
        if ((x - 64) ** 2 + (y - 64) ** 2 <= 18 ** 2)
          result.data.set([250, 220, 20, 255], (y * 128 + x) * 4)
      }
    }
    const layer = regionLayerPixels(result, composite, mask, { featherPx: 0, colourMatch: true })
    const at = (x: number, y: number) =>
      Array.from(layer.subarray((y * 128 + x) * 4, (y * 128 + x) * 4 + 3))
    return { at }
  }

  it('colour match leaves a fill whose background already matches, whatever new it holds', () => {
    // The disc covers about a third of the band along the stroke's edges; the mean of that band
    // was tinted by it (blue-grey fills, seen in the app), its median is the background's.
    const { at } = strokeCase(grey)
    expect(at(64, 24)).toEqual([128, 126, 130])
    expect(at(64, 64)).toEqual([250, 220, 20])
  })

  it('colour match takes a drifted background back to the picture and keeps the new object', () => {
    const { at } = strokeCase([143, 141, 118, 255])
    expect(at(64, 24)).toEqual([128, 126, 130])
    expect(at(64, 64)).toEqual([235, 205, 32])
  })

  it('says how far a fill is off at the mask edge, what Colour match then corrects', () => {
    const composite = flat(64, 64, grey)
    const mask = squareMask(64, 16, 16, 32)
    const settings = { featherPx: 4, colourMatch: false }
    const drifted = regionLayerPixels(flat(64, 64, [161, 146, 128, 255]), composite, mask, settings)
    expect(edgeColourMismatch(drifted, composite, mask, settings)).toBe(33)
    const matching = regionLayerPixels(flat(64, 64, grey), composite, mask, settings)
    expect(edgeColourMismatch(matching, composite, mask, settings)).toBe(0)
    const matched = { featherPx: 4, colourMatch: true }
    const corrected = regionLayerPixels(
      flat(64, 64, [161, 146, 128, 255]),
      composite,
      mask,
      matched,
    )
    expect(edgeColourMismatch(corrected, composite, mask, matched)).toBe(0)
    // No known pixels around the region (the whole frame): nothing to be off from.
    expect(
      edgeColourMismatch(drifted, composite, new Uint8ClampedArray(64 * 64).fill(255), settings),
    ).toBe(0)
  })

  it('colour match shifts a channel by at most its limit', () => {
    const composite = flat(64, 64, grey)
    const mask = squareMask(64, 16, 16, 32)
    const result = flat(64, 64, [250, 40, 20, 255])
    const layer = regionLayerPixels(result, composite, mask, { featherPx: 0, colourMatch: true })
    const centre = (32 * 64 + 32) * 4
    expect(Array.from(layer.subarray(centre, centre + 3))).toEqual([
      250 - maxColourMatchShift,
      40 + maxColourMatchShift,
      20 + maxColourMatchShift,
    ])
  })

  it('colour match moves the fill mean to the surroundings', () => {
    const composite = flat(64, 64)
    const mask = squareMask(64, 16, 16, 32)
    const result = flat(64, 64, [140, 176, 204, 255])
    const layer = regionLayerPixels(result, composite, mask, { featherPx: 0, colourMatch: true })
    expect(Array.from(layer.subarray((32 * 64 + 32) * 4, (32 * 64 + 32) * 4 + 4))).toEqual([...sky])
  })
})
