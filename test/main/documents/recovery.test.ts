import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { newSessionId, RecoveryStore } from '../../../main/documents/recoveryStore'
import { sameBytes, sampleProject, tempDirectory } from './fixtures'

const at = (iso: string) => () => new Date(iso)

describe('recovery', () => {
  it('offers copies of crashed sessions, newest first, and restores them exactly', async () => {
    const directory = await tempDirectory()
    const crashed = new RecoveryStore(directory, { now: at('2026-11-25T10:00:00Z') })
    const later = new RecoveryStore(directory, { now: at('2026-11-25T11:00:00Z') })
    await crashed.start()
    await later.start()
    const project = sampleProject()
    await crashed.save('rec-one', project, 'page-a')
    await later.save('rec-two', { ...project, title: 'Second' }, 'page-b')
    // Both stopped beating (no stop(): they crashed); a minute later the next session starts.
    const restarted = new RecoveryStore(directory, { now: at('2026-11-25T11:01:00Z') })
    await restarted.start()
    const entries = await restarted.list('page-c')
    expect(entries.map((entry) => [entry.recoveryId, entry.title, entry.layerCount])).toEqual([
      ['rec-two', 'Second', 4],
      ['rec-one', 'Harbour at dusk', 4],
    ])
    const restored = await restarted.restore('rec-one', 'page-c')
    expect(restored.title).toBe('Harbour at dusk')
    expect(sameBytes(restored.layers[1]!.pixels!.data, project.layers[1]!.pixels!.data)).toBe(true)
    expect(await restarted.discard('rec-two')).toBe(true)
    await restarted.stop()
  })

  it('does not offer copies of a session that is still beating, or of a live page', async () => {
    const directory = await tempDirectory()
    let clock = Date.parse('2026-11-25T10:00:00Z')
    const now = () => new Date(clock)
    const running = new RecoveryStore(directory, { now, heartbeatMs: 10_000, closingGraceMs: 0 })
    await running.start()
    running.clientOpened('tab-1')
    running.clientOpened('tab-2')
    await running.save('rec-a', sampleProject(), 'tab-1')
    // Another process sharing the folder: the running session's heartbeat is fresh.
    const other = new RecoveryStore(directory, { now })
    expect(await other.list('x')).toEqual([])
    // Inside the running session: the owner does not see it, nor does a live second tab.
    expect(await running.list('tab-1')).toEqual([])
    expect(await running.list('tab-2')).toEqual([])
    // tab-1 was reloaded (its socket closed): the next page is offered the copy.
    running.clientClosed('tab-1')
    expect((await running.list('tab-3')).map((entry) => entry.recoveryId)).toEqual(['rec-a'])
    // The heartbeat stops (a crash): after the stale limit the other process is offered it.
    clock += 31_000
    expect((await other.list('x')).map((entry) => entry.recoveryId)).toEqual(['rec-a'])
  })

  it('gives a reloading page a moment to let go of its copy before listing', async () => {
    const directory = await tempDirectory()
    const store = new RecoveryStore(directory, { closingGraceMs: 5_000 })
    await store.start()
    store.clientOpened('old-page')
    await store.save('rec-r', sampleProject(), 'old-page')
    store.clientOpened('new-page')
    // The new page asks before the old page's socket has closed; it closes a moment later.
    setTimeout(() => store.clientClosed('old-page'), 300)
    expect((await store.list('new-page')).map((entry) => entry.recoveryId)).toEqual(['rec-r'])
    await store.stop()
  })

  it('keeps copies across a clean quit, and across a reused process id (issue 17, items 2 and 3)', async () => {
    const directory = await tempDirectory()
    const first = new RecoveryStore(directory)
    await first.start()
    await first.save('rec-unsaved', sampleProject(), 'window')
    await first.stop()
    expect((await readdir(directory)).sort()).toEqual([
      'rec-unsaved.glide',
      'rec-unsaved.json',
      'sessions',
    ])
    // The next start runs under the same process id (as after a reboot): ids are random, so the
    // copy is still someone else's and is offered.
    const second = new RecoveryStore(directory)
    await second.start()
    expect(second.sessionId).not.toBe(first.sessionId)
    expect((await second.list('window')).map((entry) => entry.recoveryId)).toEqual(['rec-unsaved'])
    const marker = JSON.parse(await readFile(join(directory, 'rec-unsaved.json'), 'utf8')) as {
      pid?: number
    }
    expect(marker.pid).toBeUndefined()
    await second.stop()
  })

  it('keeps a restored copy until the next autosave or save; re-owns it meanwhile', async () => {
    const directory = await tempDirectory()
    const crashed = new RecoveryStore(directory)
    await crashed.start()
    await crashed.save('rec-x', sampleProject(), 'window')
    const next = new RecoveryStore(directory, { exclusive: true, closingGraceMs: 0 })
    await next.start()
    next.clientOpened('window-2')
    await next.restore('rec-x', 'window-2')
    // Still on disk: a crash in the next minute loses nothing.
    expect((await readdir(directory)).filter((name) => name.startsWith('rec-x'))).toHaveLength(2)
    // Owned by the restoring page now, so a second page of this session is not offered it.
    expect(await next.list('window-3')).toEqual([])
    // ...and if this session crashes, the one after offers it again.
    const after = new RecoveryStore(directory, { exclusive: true })
    expect((await after.list('w')).map((entry) => entry.recoveryId)).toEqual(['rec-x'])
    await next.save('rec-x', { ...sampleProject(), title: 'Edited' }, 'window-2')
    expect((await after.list('w'))[0]?.title).toBe('Edited')
  })

  it('cleans temp files of killed writes at start; ignores foreign and old-format markers', async () => {
    const directory = await tempDirectory()
    const killed = join(directory, '.rec-1.glide.00112233aabb.tmp')
    await writeFile(killed, Buffer.alloc(4096))
    const { utimes } = await import('node:fs/promises')
    await utimes(killed, new Date(0), new Date(0))
    await writeFile(join(directory, 'junk.json'), '{"recoveryId": "../../etc"}')
    await writeFile(join(directory, 'bad.json'), 'not json')
    // A marker written by a version that keyed sessions by pid: its session is unknown, so offered.
    const legacy = new RecoveryStore(directory)
    await legacy.save('rec-old', sampleProject(), 'w')
    const markerPath = join(directory, 'rec-old.json')
    const {
      sessionId: _s,
      clientId: _c,
      ...rest
    } = JSON.parse(await readFile(markerPath, 'utf8')) as Record<string, unknown>
    await writeFile(markerPath, JSON.stringify({ ...rest, pid: 4242 }))
    const store = new RecoveryStore(directory)
    await store.start()
    expect(await readdir(directory)).not.toContain('.rec-1.glide.00112233aabb.tmp')
    expect((await store.list('w')).map((entry) => entry.recoveryId)).toEqual(['rec-old'])
    await expect(store.restore('../x', 'w')).rejects.toThrow()
    expect(() => new RecoveryStore(directory, { sessionId: '123' })).toThrow()
    expect(newSessionId()).toMatch(/^session-[A-Za-z0-9_-]{22}$/)
    await store.stop()
  })
})
