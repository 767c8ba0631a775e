import { initializeCanvas, readPsd } from 'ag-psd'
import { describe, expect, it } from 'vitest'
import { flattenProject } from '../../../main/documents/flatten'
import { writePsd } from '../../../main/documents/psd'
import { sampleProject, sameBytes } from './fixtures'

/**
 * The PSD export read back by ag-psd, an independent and maintained PSD reader (a
 * devDependency), not by this project's own reader: if both shared a misreading of the format,
 * only this test would notice. Raw image data (useImageData) avoids canvas premultiplication, so
 * ag-psd needs no canvas in Node: only a plain ImageData maker.
 */
initializeCanvas(
  () => {
    throw new Error('this test reads raw image data and needs no canvas')
  },
  (width, height) =>
    ({ width, height, data: new Uint8ClampedArray(width * height * 4) }) as ImageData,
)

describe('PSD export read by ag-psd', () => {
  it('has every layer with its name, bounds, opacity, visibility and exact pixels', () => {
    const project = sampleProject()
    const psd = readPsd(writePsd(project), { useImageData: true })

    expect([psd.width, psd.height, psd.bitsPerChannel, psd.colorMode]).toEqual([40, 30, 8, 3])
    const layers = psd.children ?? []
    expect(layers).toHaveLength(project.layers.length)
    // ag-psd lists layers bottom first, as the project does.
    expect(layers.map((layer) => layer.name)).toEqual(project.layers.map((layer) => layer.name))
    expect(layers.map((layer) => layer.hidden ?? false)).toEqual(
      project.layers.map((layer) => !layer.visible),
    )
    expect(layers.map((layer) => layer.opacity)).toEqual(
      project.layers.map((layer) => Math.round(layer.opacity * 255) / 255),
    )
    project.layers.forEach((layer, index) => {
      const read = layers[index]!
      if (!layer.pixels) {
        expect((read.right ?? 0) - (read.left ?? 0)).toBe(0)
        expect(read.imageData).toBeUndefined()
        return
      }
      const { bounds, data } = layer.pixels
      expect([read.left, read.top, read.right, read.bottom]).toEqual([
        bounds.x,
        bounds.y,
        bounds.x + bounds.width,
        bounds.y + bounds.height,
      ])
      expect([read.imageData?.width, read.imageData?.height]).toEqual([bounds.width, bounds.height])
      expect(sameBytes(data, new Uint8Array(read.imageData!.data.buffer))).toBe(true)
    })
    const merged = psd.imageData
    expect([merged?.width, merged?.height]).toEqual([40, 30])
    expect(sameBytes(flattenProject(project), new Uint8Array(merged!.data.buffer))).toBe(true)
  })
})
