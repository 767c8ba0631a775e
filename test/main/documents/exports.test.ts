import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { ZipReader } from '../../../main/engine/checkpoint/zipReader'
import { flattenProject } from '../../../main/documents/flatten'
import { readOpenRaster, writeOpenRaster } from '../../../main/documents/openRaster'
import { addPngTextChunks, readPngTextChunks } from '../../../main/documents/pngText'
import { writePsd } from '../../../main/documents/psd'
import { createDocumentServices, folderDialogs } from '../../../main/documents/documentServices'
import { readPsd } from './psdReader'
import { sameBytes, sampleProject, tempDirectory } from './fixtures'

describe('OpenRaster export', () => {
  it('puts a stored mimetype first, then stack.xml, layer PNGs, merged image and thumbnail', async () => {
    const path = join(await tempDirectory(), 'a.ora')
    await writeFile(path, await writeOpenRaster(sampleProject()))
    const bytes = await readFile(path)
    expect(bytes.readUInt32LE(0)).toBe(0x04034b50)
    expect(bytes.readUInt16LE(8)).toBe(0) // stored
    expect(bytes.readUInt16LE(28)).toBe(0) // no extra field
    expect(bytes.toString('latin1', 30, 54)).toBe('mimetypeimage/openraster')
    const zip = await ZipReader.open(path, { corruptCode: 'PROJECT_INVALID' })
    try {
      const names = zip.entries().map((entry) => entry.name)
      expect(names[0]).toBe('mimetype')
      expect(names).toEqual(
        expect.arrayContaining(['stack.xml', 'mergedimage.png', 'Thumbnails/thumbnail.png']),
      )
      expect(
        names.filter((name) => name.startsWith('data/') && name.endsWith('.png')),
      ).toHaveLength(4)
      const xml = Buffer.from(await zip.readEntry(zip.entry('stack.xml')!, 1e6)).toString('utf8')
      expect(xml).toContain('<image version="0.0.3" w="40" h="30">')
      // Top layer first.
      expect(xml.indexOf('name="Empty"')).toBeLessThan(xml.indexOf('name="Background"'))
      expect(xml).toContain('visibility="hidden"')
      expect(xml).toContain('name="Glaze “ü” &lt;&amp;&gt;"')
      const merged = await sharp(await zip.readEntry(zip.entry('mergedimage.png')!, 1e7))
        .raw()
        .toBuffer()
      expect(sameBytes(merged, flattenProject(sampleProject()))).toBe(true)
    } finally {
      await zip.close()
    }
  })

  it('re-opens to the same layers, pixel for pixel', async () => {
    const project = sampleProject()
    const path = join(await tempDirectory(), 'b.ora')
    await writeFile(path, await writeOpenRaster(project))
    const reopened = await readOpenRaster(path, 'reopened', 'b')
    expect(reopened.layers.map((layer) => [layer.name, layer.visible, layer.opacity])).toEqual(
      project.layers.map((layer) => [layer.name, layer.visible, layer.opacity]),
    )
    project.layers.forEach((layer, index) => {
      const again = reopened.layers[index]!
      if (!layer.pixels) {
        expect(again.pixels?.bounds ?? null).toEqual(
          again.pixels ? { x: 0, y: 0, width: 1, height: 1 } : null,
        )
        return
      }
      expect(again.pixels?.bounds).toEqual(layer.pixels.bounds)
      expect(sameBytes(layer.pixels.data, again.pixels?.data)).toBe(true)
    })
    expect(sameBytes(flattenProject(reopened), flattenProject(project))).toBe(true)
  })
})

describe('PSD export', () => {
  it('writes 8-bit RGBA with named layer records, opacity, visibility and a merged image', () => {
    const project = sampleProject()
    const psd = readPsd(writePsd(project))
    expect([psd.width, psd.height, psd.depth, psd.colorMode, psd.channels]).toEqual([
      40, 30, 8, 3, 4,
    ])
    expect(psd.layerCountField).toBe(-4)
    expect(psd.layers.map((layer) => layer.unicodeName)).toEqual(
      project.layers.map((layer) => layer.name),
    )
    expect(psd.layers[1]!.name).toBe('Glaze ??? <&>')
    expect(psd.layers.map((layer) => layer.opacity)).toEqual([255, 153, 255, 255])
    expect(psd.layers.map((layer) => layer.hidden)).toEqual([false, false, true, false])
    expect(psd.layers.every((layer) => layer.blendMode === 'norm')).toBe(true)
    project.layers.forEach((layer, index) => {
      const record = psd.layers[index]!
      if (!layer.pixels) {
        expect(record.rgba).toHaveLength(0)
        return
      }
      const { bounds } = layer.pixels
      expect([record.left, record.top, record.right, record.bottom]).toEqual([
        bounds.x,
        bounds.y,
        bounds.x + bounds.width,
        bounds.y + bounds.height,
      ])
      expect(sameBytes(record.rgba, layer.pixels.data)).toBe(true)
    })
    expect(sameBytes(psd.merged, flattenProject(project))).toBe(true)
  })
})

describe('PNG export', () => {
  it('adds tEXt chunks that survive a decode and keep the PNG valid', async () => {
    const png = await sharp({
      create: { width: 3, height: 2, channels: 4, background: '#ff000080' },
    })
      .png()
      .toBuffer()
    const tagged = addPngTextChunks(png, { parameters: '{"prompt":"a café","seed":42}' })
    expect(readPngTextChunks(tagged)).toEqual({ parameters: '{"prompt":"a caf\\u00e9","seed":42}' })
    expect(JSON.parse(readPngTextChunks(tagged).parameters!)).toEqual({
      prompt: 'a café',
      seed: 42,
    })
    const decoded = await sharp(Buffer.from(tagged)).raw().toBuffer()
    expect(Array.from(decoded.subarray(0, 4))).toEqual([255, 0, 0, 128])
  })

  it('exports the composite with prompt, seed and settings, and single layers', async () => {
    const directory = await tempDirectory()
    const services = createDocumentServices({
      recoveryDirectory: join(directory, 'recovery'),
      dialogs: folderDialogs(directory),
    })
    const project = sampleProject()
    project.layers[2]!.visible = true
    const saved = await services['documents.export']({ format: 'png', project })
    expect(saved?.fileName).toBe('Harbour at dusk.png')
    const png = await readFile(join(directory, saved!.fileName))
    const text = readPngTextChunks(png)
    const parameters = JSON.parse(text.parameters!) as {
      layers: { prompt: string; seed: number; guidanceScale: number }[]
    }
    expect(parameters.layers[0]).toMatchObject({ prompt: 'a red boat', seed: 42, guidanceScale: 5 })
    const pixels = await sharp(png).raw().toBuffer()
    expect(sameBytes(pixels, flattenProject(project))).toBe(true)

    const layerFile = await services['documents.export']({
      format: 'layer-png',
      project,
      layerId: 'paint',
    })
    expect(layerFile?.fileName).toBe('Harbour at dusk - Glaze “ü” _&_.png')
    const layerPng = await sharp(await readFile(join(directory, layerFile!.fileName)))
      .raw()
      .toBuffer({ resolveWithObject: true })
    expect([layerPng.info.width, layerPng.info.height]).toEqual([40, 30])
    const { bounds, data } = project.layers[1]!.pixels!
    const offset = (bounds.y * 40 + bounds.x) * 4
    expect(Array.from(layerPng.data.subarray(offset, offset + 4))).toEqual(
      Array.from(data.subarray(0, 4)),
    )
    expect(layerPng.data[3]).toBe(0)
  })

  it('exports the composite as JPEG over white and as WebP with its alpha', async () => {
    const directory = await tempDirectory()
    const services = createDocumentServices({
      recoveryDirectory: join(directory, 'recovery'),
      dialogs: folderDialogs(directory),
    })
    // One layer: a transparent band (top 16 rows) over a flat brick colour.
    const pixels = new Uint8Array(40 * 30 * 4)
    for (let i = 40 * 16; i < 40 * 30; i++) pixels.set([200, 80, 40, 255], i * 4)
    const sample = sampleProject()
    const project = {
      ...sample,
      layers: [{ ...sample.layers[0]!, pixels: { ...sample.layers[0]!.pixels!, data: pixels } }],
    }
    const composite = flattenProject(project)
    /** Mean |difference| per channel over rows [top, bottom) of a 40 px wide picture. */
    const meanDistance = (
      pixels: ArrayLike<number>,
      channels: number,
      expected: (index: number) => ArrayLike<number>,
      top: number,
      bottom: number,
    ) => {
      let sum = 0
      for (let i = top * 40; i < bottom * 40; i++) {
        for (let c = 0; c < 3; c++)
          sum += Math.abs((pixels[i * channels + c] ?? 0) - (expected(i)[c] ?? 0))
      }
      return sum / ((bottom - top) * 40 * 3)
    }
    const original = (i: number) => composite.subarray(i * 4, i * 4 + 3)
    const overWhite = (i: number) => {
      const alpha = (composite[i * 4 + 3] ?? 0) / 255
      return [0, 1, 2].map((c) => (composite[i * 4 + c] ?? 0) * alpha + 255 * (1 - alpha))
    }

    const jpeg = await services['documents.export']({ format: 'jpeg', project })
    expect(jpeg?.fileName).toBe('Harbour at dusk.jpg')
    const jpegPath = join(directory, jpeg!.fileName)
    expect(await sharp(jpegPath).metadata()).toMatchObject({
      format: 'jpeg',
      width: 40,
      height: 30,
    })
    // No alpha in JPEG: the picture over white, so the transparent band comes out white.
    const jpegPixels = await sharp(jpegPath).removeAlpha().raw().toBuffer()
    expect(meanDistance(jpegPixels, 3, overWhite, 0, 30)).toBeLessThan(4)
    expect(meanDistance(jpegPixels, 3, () => [255, 255, 255], 0, 12)).toBeLessThan(4)

    const webp = await services['documents.export']({ format: 'webp', project })
    expect(webp?.fileName).toBe('Harbour at dusk.webp')
    const webpPath = join(directory, webp!.fileName)
    expect(await sharp(webpPath).metadata()).toMatchObject({ format: 'webp', hasAlpha: true })
    const webpPixels = await sharp(webpPath).ensureAlpha().raw().toBuffer()
    expect(webpPixels[5 * 40 * 4 + 3]).toBe(0)
    expect(webpPixels[25 * 40 * 4 + 3]).toBe(255)
    expect(meanDistance(webpPixels, 4, original, 18, 30)).toBeLessThan(4)
  })
})
