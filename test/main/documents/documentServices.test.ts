import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { documentChannels } from '../../../contract/documents'
import type { DocumentDialogs } from '../../../main/documents/documentServices'
import {
  createDocumentService,
  createDocumentServices,
  folderDialogs,
  pageScopedDocuments,
} from '../../../main/documents/documentServices'
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
    // Same session, same page: nothing to recover.
    expect(await services['documents.listRecoveries']({})).toEqual([])
    const nextSession = createDocumentServices({
      recoveryDirectory,
      dialogs: folderDialogs(recoveryDirectory),
      recovery: new RecoveryStore(recoveryDirectory, { exclusive: true }),
    })
    const [entry] = await nextSession['documents.listRecoveries']({})
    expect(entry).toMatchObject({ title: 'Harbour at dusk', width: 40, height: 30 })
    const recoveryId = entry!.recoveryId
    const restored = await nextSession['documents.restoreRecovery']({ recoveryId })
    expect(sameBytes(restored.mask!.data, project.mask!.data)).toBe(true)
    // The restored document gets an id of main's making; its copy stays until the next autosave.
    expect(restored.documentId).not.toBe(project.documentId)
    expect(await readdir(recoveryDirectory)).toContain(`${recoveryId}.glide`)
    await nextSession['documents.autosave']({ project: { ...restored, title: 'Edited' } })
    expect((await readdir(recoveryDirectory)).filter((name) => name.endsWith('.glide'))).toEqual([
      `${recoveryId}.glide`,
    ])
    const third = createDocumentServices({
      recoveryDirectory,
      dialogs: null,
      recovery: new RecoveryStore(recoveryDirectory, { exclusive: true }),
    })
    expect(await third['documents.discardRecovery']({ recoveryId })).toEqual({ discarded: true })
    expect(await third['documents.listRecoveries']({})).toEqual([])
  })

  it("keys save paths by main's registry: two files carrying one id never share a path (issue 17, item 6)", async () => {
    const { services, directory, saves } = await setup()
    const a = sampleProject()
    await services['documents.saveProject']({ project: a, saveAs: false })
    const copy = join(directory, 'Other.glide')
    const { copyFile } = await import('node:fs/promises')
    await copyFile(join(directory, 'Harbour at dusk.glide'), copy)
    // Open the copy: same documentId inside the file, but main gives it a new one.
    const opened = await (await setup(copy)).services['documents.openProject']({})
    expect(opened!.documentId).not.toBe(a.documentId)
    const reopenedTwice = await (await setup(copy)).services['documents.openProject']({})
    expect(reopenedTwice!.documentId).not.toBe(opened!.documentId)
    // Another page sending this page's document id does not find its save path: it is asked.
    const service = createDocumentService({
      recoveryDirectory: join(directory, 'r'),
      dialogs: null,
    })
    const pageOne = service.forClient('one')
    const pageTwo = service.forClient('two')
    await pageOne['documents.autosave']({ project: a })
    expect(service.registry.find('two', a.documentId)).toBeUndefined()
    const saved = await pageTwo['documents.saveProject']({ project: a, saveAs: false })
    expect(saved?.fileName).toBe('Harbour at dusk.glide')
    expect(saves).toEqual(['project:Harbour at dusk.glide'])
  })

  it('browser mode: saves and exports come back as named bytes to download; Open takes bytes', async () => {
    const service = createDocumentService({
      recoveryDirectory: join(await tempDirectory(), 'recovery'),
      dialogs: null,
    })
    const page = service.forClient('tab')
    const project = { ...sampleProject(), title: 'con' }
    const saved = await page['documents.saveProject']({ project, saveAs: false })
    expect(saved?.fileName).toBe('_con.glide')
    const reopened = await page['documents.openFile']({
      fileName: saved!.fileName,
      bytes: saved!.download!,
    })
    expect(reopened.layers.map((layer) => layer.name)).toEqual(
      project.layers.map((layer) => layer.name),
    )
    for (const [index, layer] of project.layers.entries()) {
      if (layer.pixels) {
        expect(sameBytes(layer.pixels.data, reopened.layers[index]!.pixels?.data)).toBe(true)
      }
    }
    // A project takes the name its file has now (renamed in a folder since, say).
    const renamed = await page['documents.openFile']({
      fileName: 'Harbour final.glide',
      bytes: saved!.download!,
    })
    expect([reopened.title, renamed.title]).toEqual(['_con', 'Harbour final'])
    const exported = await page['documents.export']({ format: 'png', project })
    expect(exported?.fileName).toBe('_con.png')
    const meta = await sharp(exported!.download!).metadata()
    expect([meta.width, meta.height]).toEqual([40, 30])
    const ora = await page['documents.export']({ format: 'ora', project })
    const fromOra = await page['documents.openFile']({ fileName: 'x.ora', bytes: ora!.download! })
    expect(fromOra.layers).toHaveLength(4)
    const png = await sharp({ create: { width: 64, height: 48, channels: 4, background: '#abc' } })
      .png()
      .toBuffer()
    const fromImage = await page['documents.openFile']({ fileName: 'sky.png', bytes: png })
    expect([fromImage.width, fromImage.height, fromImage.title]).toEqual([64, 48, 'sky'])
    await expect(
      page['documents.openFile']({ fileName: 'x.glide', bytes: Buffer.from('not a project') }),
    ).rejects.toMatchObject({ code: 'PROJECT_INVALID' })
    expect(documentChannels['documents.export'].output.safeParse(exported).success).toBe(true)
  })

  it('forgets a closed document: its recovery copy goes, its id no longer finds a path', async () => {
    const recoveryDirectory = join(await tempDirectory(), 'recovery')
    const service = createDocumentService({ recoveryDirectory, dialogs: null })
    const page = service.forClient('tab')
    const project = sampleProject()
    await page['documents.autosave']({ project })
    expect(
      (await readdir(recoveryDirectory)).filter((name) => name.endsWith('.glide')),
    ).toHaveLength(1)
    expect(await page['documents.close']({ documentId: project.documentId })).toEqual({
      closed: true,
    })
    expect((await readdir(recoveryDirectory)).filter((name) => name.endsWith('.glide'))).toEqual([])
    expect(await page['documents.close']({ documentId: project.documentId })).toEqual({
      closed: false,
    })
  })

  it('saving over a file removes the temp a killed earlier save of it left behind (issue 17, item 7)', async () => {
    const { services, directory } = await setup()
    const project = sampleProject()
    const leftover = join(directory, '.Harbour at dusk.glide.a1b2c3d4e5f6.tmp')
    const other = join(directory, '.Other.glide.a1b2c3d4e5f6.tmp')
    await writeFile(leftover, Buffer.alloc(2048))
    await writeFile(other, Buffer.alloc(16))
    const { utimes } = await import('node:fs/promises')
    for (const path of [leftover, other]) await utimes(path, new Date(0), new Date(0))
    await services['documents.saveProject']({ project, saveAs: false })
    const names = await readdir(directory)
    expect(names).not.toContain('.Harbour at dusk.glide.a1b2c3d4e5f6.tmp')
    expect(names).toContain('.Other.glide.a1b2c3d4e5f6.tmp')
    expect(names).toContain('Harbour at dusk.glide')
  })

  it('desktop: a reload or a renderer crash is a new page, offered what the last one left', async () => {
    const recoveryDirectory = join(await tempDirectory(), 'recovery')
    const service = createDocumentService({
      recoveryDirectory,
      dialogs: null,
      recovery: new RecoveryStore(recoveryDirectory, { exclusive: true }),
    })
    const window = pageScopedDocuments(service)
    await window.handlers['documents.autosave']({ project: sampleProject() })
    expect(await window.handlers['documents.listRecoveries']({})).toEqual([])
    window.newPage()
    const [entry] = await window.handlers['documents.listRecoveries']({})
    expect(entry?.title).toBe('Harbour at dusk')
    const restored = await window.handlers['documents.restoreRecovery']({
      recoveryId: entry!.recoveryId,
    })
    expect(restored.layers).toHaveLength(4)
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
