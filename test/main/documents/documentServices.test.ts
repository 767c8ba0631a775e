import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { documentChannels } from '../../../contract/documents'
import type { DocumentDialogs } from '../../../main/documents/documentServices'
import { createDocumentServices, folderDialogs } from '../../../main/documents/documentServices'
import { RecoveryStore } from '../../../main/documents/recoveryStore'
import { sameBytes, sampleProject, tempDirectory } from './fixtures'

async function setup(openPath: string | null = null) {
  const directory = await tempDirectory()
  const saves: string[] = []
  const folder = folderDialogs(directory)
  const dialogs: DocumentDialogs = {
    chooseOpenPath: async () => openPath,
    chooseSavePath: async (kind, name) => {
      saves.push(`${kind}:${name}`)
      return folder.chooseSavePath(kind, name)
    },
  }
  const recoveryDirectory = join(directory, 'recovery')
  return {
    directory,
    saves,
    recoveryDirectory,
    services: createDocumentServices({ recoveryDirectory, dialogs }),
  }
}

describe('document services', () => {
  it('has a handler for every documents channel', async () => {
    const { services } = await setup()
    expect(Object.keys(services).sort()).toEqual(Object.keys(documentChannels).sort())
  })

  it('asks where to save once, then saves to the same file; Save As asks again', async () => {
    const { services, saves, directory } = await setup()
    const project = sampleProject()
    expect(await services['documents.saveProject']({ project, saveAs: false })).toEqual({
      fileName: 'Harbour at dusk.glide',
    })
    expect(await services['documents.saveProject']({ project, saveAs: false })).toEqual({
      fileName: 'Harbour at dusk.glide',
    })
    expect(saves).toEqual(['project:Harbour at dusk.glide'])
    expect(await services['documents.saveProject']({ project, saveAs: true })).toEqual({
      fileName: 'Harbour at dusk (1).glide',
    })
    expect((await readdir(directory)).filter((name) => name.endsWith('.glide')).sort()).toEqual([
      'Harbour at dusk (1).glide',
      'Harbour at dusk.glide',
    ])
  })

  it('opens a saved project and an OpenRaster file through the dialog', async () => {
    const first = await setup()
    const project = sampleProject()
    await first.services['documents.saveProject']({ project, saveAs: false })
    await first.services['documents.export']({ format: 'ora', project })
    const glide = await (
      await setup(join(first.directory, 'Harbour at dusk.glide'))
    ).services['documents.openProject']({})
    expect(glide?.layers.map((layer) => layer.name)).toEqual(
      project.layers.map((layer) => layer.name),
    )
    expect(sameBytes(glide!.layers[0]!.pixels!.data, project.layers[0]!.pixels!.data)).toBe(true)
    const ora = await (
      await setup(join(first.directory, 'Harbour at dusk.ora'))
    ).services['documents.openProject']({})
    expect(ora?.layers).toHaveLength(4)
    expect(await (await setup(null)).services['documents.openProject']({})).toBeNull()
    const png = await sharp({ create: { width: 7, height: 5, channels: 4, background: '#102030' } })
      .png()
      .toBuffer()
    const picture = join(first.directory, 'Lighthouse.png')
    await writeFile(picture, png)
    const fromImage = await (await setup(picture)).services['documents.openProject']({})
    expect(fromImage).toMatchObject({ title: 'Lighthouse', width: 7, height: 5 })
    expect(fromImage?.layers.map((layer) => layer.pixels?.bounds)).toEqual([
      { x: 0, y: 0, width: 7, height: 5 },
    ])
    expect(documentChannels['documents.openProject'].output.safeParse(fromImage).success).toBe(true)
  })

  it('decodes dropped bytes and opened files with the same rules', async () => {
    const png = await sharp({
      create: { width: 5, height: 4, channels: 4, background: '#00ff0080' },
    })
      .png()
      .toBuffer()
    const { services, directory } = await setup()
    const decoded = await services['documents.decodeImage']({
      fileName: '../../secret/drop.png',
      bytes: png,
    })
    expect([decoded.name, decoded.width, decoded.height]).toEqual(['drop.png', 5, 4])
    const path = join(directory, 'photo.png')
    await writeFile(path, png)
    const opened = await (await setup(path)).services['documents.openImage']({})
    expect(opened?.data[1]).toBe(255)
    await expect(
      services['documents.decodeImage']({ fileName: 'x.png', bytes: Buffer.from('nope') }),
    ).rejects.toMatchObject({
      code: 'IMAGE_INVALID',
    })
  })

  it('autosaves to the recovery folder; a later session lists, restores and discards it', async () => {
    const { services, recoveryDirectory } = await setup()
    const project = sampleProject()
    const { savedAt } = await services['documents.autosave']({ project })
    expect(Date.parse(savedAt)).toBeGreaterThan(0)
    // Same session: nothing to recover.
    expect(await services['documents.listRecoveries']({})).toEqual([])
    const nextSession = createDocumentServices({
      recoveryDirectory,
      dialogs: folderDialogs(recoveryDirectory),
      recovery: new RecoveryStore(recoveryDirectory, {
        pid: process.pid + 1,
        isAlive: () => false,
      }),
    })
    const [entry] = await nextSession['documents.listRecoveries']({})
    expect(entry).toMatchObject({
      recoveryId: 'doc-sample',
      title: 'Harbour at dusk',
      width: 40,
      height: 30,
    })
    const restored = await nextSession['documents.restoreRecovery']({ recoveryId: 'doc-sample' })
    expect(sameBytes(restored.mask!.data, project.mask!.data)).toBe(true)
    expect(await nextSession['documents.discardRecovery']({ recoveryId: 'doc-sample' })).toEqual({
      discarded: true,
    })
    expect(await nextSession['documents.listRecoveries']({})).toEqual([])
  })

  it('validates project payloads at the contract', () => {
    const project = sampleProject()
    const input = documentChannels['documents.saveProject'].input
    expect(input.safeParse({ project, saveAs: false }).success).toBe(true)
    const broken = {
      ...project,
      layers: [
        {
          ...project.layers[1]!,
          pixels: { bounds: { x: 0, y: 0, width: 5, height: 5 }, data: new Uint8Array(3) },
        },
      ],
    }
    expect(input.safeParse({ project: broken, saveAs: false }).success).toBe(false)
    const outside = {
      ...project,
      layers: [
        {
          ...project.layers[1]!,
          pixels: { bounds: { x: 38, y: 0, width: 5, height: 1 }, data: new Uint8Array(20) },
        },
      ],
    }
    expect(input.safeParse({ project: outside, saveAs: false }).success).toBe(false)
  })
})
