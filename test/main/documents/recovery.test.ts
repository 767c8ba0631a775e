import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { RecoveryStore } from '../../../main/documents/recoveryStore'
import { sameBytes, sampleProject, tempDirectory } from './fixtures'

describe('recovery', () => {
  it('offers copies of crashed sessions, newest first, and restores them exactly', async () => {
    const directory = await tempDirectory()
    const crashed = new RecoveryStore(directory, {
      pid: 111,
      now: () => new Date('2026-11-25T10:00:00Z'),
    })
    const later = new RecoveryStore(directory, {
      pid: 222,
      now: () => new Date('2026-11-25T11:00:00Z'),
    })
    const project = sampleProject()
    await crashed.save(project)
    await later.save({ ...project, documentId: 'doc-two', title: 'Second' })
    const restarted = new RecoveryStore(directory, { pid: 333, isAlive: () => false })
    const entries = await restarted.list()
    expect(entries.map((entry) => [entry.recoveryId, entry.title, entry.layerCount])).toEqual([
      ['doc-two', 'Second', 4],
      ['doc-sample', 'Harbour at dusk', 4],
    ])
    const restored = await restarted.restore('doc-sample')
    expect(restored.title).toBe('Harbour at dusk')
    expect(sameBytes(restored.layers[1]!.pixels!.data, project.layers[1]!.pixels!.data)).toBe(true)
    expect(await restarted.discard('doc-sample')).toBe(true)
    expect((await restarted.list()).map((entry) => entry.recoveryId)).toEqual(['doc-two'])
    expect((await readdir(directory)).sort()).toEqual(['doc-two.glide', 'doc-two.json'])
  })

  it('does not offer copies of this session or of another running instance', async () => {
    const directory = await tempDirectory()
    await new RecoveryStore(directory, { pid: 500 }).save(sampleProject())
    expect(await new RecoveryStore(directory, { pid: 500, isAlive: () => false }).list()).toEqual(
      [],
    )
    expect(
      await new RecoveryStore(directory, { pid: 600, isAlive: (pid) => pid === 500 }).list(),
    ).toEqual([])
    expect(
      await new RecoveryStore(directory, { pid: 600, isAlive: () => false }).list(),
    ).toHaveLength(1)
  })

  it('overwrites its own copy atomically on each autosave and removes it on a clean quit', async () => {
    const directory = await tempDirectory()
    const store = new RecoveryStore(directory, { pid: 700 })
    const project = sampleProject()
    await store.save(project)
    await store.save({ ...project, title: 'Renamed' })
    expect((await readdir(directory)).sort()).toEqual(['doc-sample.glide', 'doc-sample.json'])
    const other = new RecoveryStore(directory, { pid: 800, isAlive: () => false })
    expect((await other.list())[0]?.title).toBe('Renamed')
    await store.discardOwn()
    expect(await readdir(directory)).toEqual([])
  })

  it('ignores markers that are not its own format', async () => {
    const directory = await tempDirectory()
    const { writeFile } = await import('node:fs/promises')
    await writeFile(join(directory, 'junk.json'), '{"recoveryId": "../../etc"}')
    await writeFile(join(directory, 'bad.json'), 'not json')
    expect(await new RecoveryStore(directory, { pid: 1, isAlive: () => false }).list()).toEqual([])
    await expect(new RecoveryStore(directory).restore('../x')).rejects.toThrow()
  })
})
