import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ProjectData } from '../../../contract/documents'
import { encodePng } from '../../../main/documents/imageCodec'
import { readProjectFile, writeProjectFile } from '../../../main/documents/projectFile'
import { writeZip } from '../../../main/documents/zip/zipWriter'
import { sameBytes, sampleProject, tempDirectory } from './fixtures'

function withoutPixels(project: ProjectData) {
  return {
    ...project,
    mask: project.mask?.bounds,
    layers: project.layers.map((layer) => ({ ...layer, pixels: layer.pixels?.bounds ?? null })),
  }
}

describe('.glide project files', () => {
  it('round-trips layers, metadata, mask and frame exactly', async () => {
    const project = sampleProject()
    const path = join(await tempDirectory(), 'harbour.glide')
    await writeFile(path, await writeProjectFile(project))
    const reopened = await readProjectFile(path, 'harbour.glide')
    expect(withoutPixels(reopened)).toEqual(withoutPixels(project))
    project.layers.forEach((layer, index) => {
      if (layer.pixels)
        expect(sameBytes(layer.pixels.data, reopened.layers[index]?.pixels?.data)).toBe(true)
    })
    expect(sameBytes(project.mask!.data, reopened.mask?.data)).toBe(true)
  })

  it('stores a manifest with generation metadata and one PNG per non-empty layer', async () => {
    const path = join(await tempDirectory(), 'p.glide')
    await writeFile(path, await writeProjectFile(sampleProject()))
    const text = (await readFile(path)).toString('latin1')
    expect(text).toContain('layers/bg.png')
    expect(text).toContain('layers/gen.png')
    expect(text).not.toContain('layers/empty.png')
    expect(text).toContain('mask.png')
  })

  it.each([
    ['a manifest of the wrong format', { format: 'other@1' }],
    [
      'a layer file outside layers/',
      {
        layers: [
          {
            id: 'x',
            name: 'x',
            visible: true,
            opacity: 1,
            locked: false,
            image: { file: '../../etc/passwd', bounds: { x: 0, y: 0, width: 1, height: 1 } },
          },
        ],
      },
    ],
    ['a 100000-pixel canvas', { width: 100000 }],
  ])('refuses %s as PROJECT_INVALID', async (_label, patch) => {
    const good = JSON.parse(
      JSON.stringify({
        format: 'glide-studio/project@1',
        documentId: 'd',
        title: 't',
        width: 10,
        height: 10,
        frame: { x: 0, y: 0, width: 10, height: 10 },
        savedAt: '2026-01-01T00:00:00.000Z',
        layers: [],
        mask: null,
      }),
    ) as object
    const manifest = Object.assign(good, patch)
    const path = join(await tempDirectory(), 'bad.glide')
    await writeFile(
      path,
      writeZip([{ name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) }]),
    )
    await expect(readProjectFile(path, 'bad.glide')).rejects.toMatchObject({
      code: 'PROJECT_INVALID',
    })
  })

  it('refuses a prototype-polluting manifest without polluting anything', async () => {
    const text =
      '{"__proto__": {"polluted": true}, "format": "glide-studio/project@1", "documentId": "d", "title": "t", "width": 10, "height": 10, "frame": {"x": 0, "y": 0, "width": 10, "height": 10}, "savedAt": "", "layers": [], "mask": null}'
    const path = join(await tempDirectory(), 'proto.glide')
    await writeFile(path, writeZip([{ name: 'manifest.json', data: Buffer.from(text) }]))
    await expect(readProjectFile(path, 'proto.glide')).rejects.toMatchObject({
      code: 'PROJECT_INVALID',
    })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('refuses a layer PNG whose size differs from its bounds, and a non-zip file', async () => {
    const directory = await tempDirectory()
    const manifest = {
      format: 'glide-studio/project@1',
      documentId: 'd',
      title: 't',
      width: 40,
      height: 40,
      frame: { x: 0, y: 0, width: 10, height: 10 },
      savedAt: '',
      layers: [
        {
          id: 'a',
          name: 'a',
          visible: true,
          opacity: 1,
          locked: false,
          image: { file: 'layers/a.png', bounds: { x: 0, y: 0, width: 13, height: 9 } },
        },
      ],
      mask: null,
    }
    const png = await encodePng(new Uint8Array(12 * 9 * 4).fill(200), 12, 9, 4)
    await writeFile(
      join(directory, 'a.glide'),
      writeZip([
        { name: 'manifest.json', data: Buffer.from(JSON.stringify(manifest)) },
        { name: 'layers/a.png', data: png },
      ]),
    )
    await expect(readProjectFile(join(directory, 'a.glide'), 'a')).rejects.toMatchObject({
      code: 'PROJECT_INVALID',
    })
    await writeFile(join(directory, 'b.glide'), 'just text')
    await expect(readProjectFile(join(directory, 'b.glide'), 'b')).rejects.toMatchObject({
      code: 'PROJECT_INVALID',
    })
  })
})
