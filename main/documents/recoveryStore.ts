import { randomBytes } from 'node:crypto'
import { mkdir, readFile, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import type { ProjectData, RecoveryEntry } from '../../contract/documents'
import { zLayerId, zRecoveryEntry } from '../../contract/documents'
import { GlideError } from '../../contract/errors'
import { removeStaleTempFiles, writeFileAtomic } from '../storage/atomicWrite'
import { readProjectFile, writeProjectFile } from './projectFile'

const zSessionId = z.string().regex(/^session-[A-Za-z0-9_-]{16,64}$/)

/** `<id>.json` beside each copy. Not strict: markers of older versions (a `pid`) still parse. */
const zMarker = z.object({
  ...zRecoveryEntry.shape,
  /** The writing session; absent in old markers, which then count as left behind. */
  sessionId: zSessionId.optional(),
  /** The page (browser tab, window) inside that session that owns the document. */
  clientId: z.string().max(100).optional(),
})
type Marker = z.infer<typeof zMarker>

/** `sessions/<sessionId>.json`: the session's heartbeat, and whether it ended cleanly. */
const zSessionFile = z.object({
  sessionId: zSessionId,
  heartbeatAt: z.string().max(40),
  ended: z.boolean(),
})
type SessionFile = z.infer<typeof zSessionFile>

export function newSessionId(): string {
  return `session-${randomBytes(16).toString('base64url')}`
}

export interface RecoveryStoreOptions {
  /** Random per process start by default; never a process id (ids are reused). */
  readonly sessionId?: string
  readonly now?: () => Date
  readonly heartbeatMs?: number
  /** A session whose heartbeat is older than this has died. */
  readonly staleAfterMs?: number
  /**
   * True where nothing else can be using this folder while this session runs (the desktop app
   * holds Electron's single-instance lock): every other session's copies are then left behind.
   */
  readonly exclusive?: boolean
  /** How long a listing waits for another page of this session that may be closing (reload). */
  readonly closingGraceMs?: number
}

/**
 * Autosave copies in a recovery folder, never over the user's file: `<id>.glide` plus a marker
 * `<id>.json` naming the session and the page that own it. Each running session keeps a
 * heartbeat file fresh. A copy is offered when its owner is gone: its session ended (a clean quit
 * keeps the copies of unsaved documents), stopped beating (a crash), or, within this session,
 * its page went away (a reload or a closed tab). Copies of live pages are left alone.
 */
export class RecoveryStore {
  readonly sessionId: string
  private readonly now: () => Date
  private readonly heartbeatMs: number
  private readonly staleAfterMs: number
  private readonly exclusive: boolean
  private readonly closingGraceMs: number
  private readonly liveClients = new Set<string>()
  private heartbeat: ReturnType<typeof setInterval> | null = null
  private beating: Promise<void> = Promise.resolve()
  /** Autosaves being written: a page that lists copies waits for them (a reload races its save). */
  private readonly writing = new Set<Promise<unknown>>()

  constructor(
    readonly directory: string,
    options: RecoveryStoreOptions = {},
  ) {
    this.sessionId = zSessionId.parse(options.sessionId ?? newSessionId())
    this.now = options.now ?? (() => new Date())
    this.heartbeatMs = options.heartbeatMs ?? 10_000
    this.staleAfterMs = options.staleAfterMs ?? 3 * this.heartbeatMs
    this.exclusive = options.exclusive ?? false
    this.closingGraceMs = options.closingGraceMs ?? 3_000
  }

  private get sessionsDirectory(): string {
    return join(this.directory, 'sessions')
  }

  private paths(id: string): { project: string; marker: string } {
    const safe = zLayerId.parse(id)
    return {
      project: join(this.directory, `${safe}.glide`),
      marker: join(this.directory, `${safe}.json`),
    }
  }

  /**
   * Starts the heartbeat; removes temp files of writes killed mid-way and the files of dead
   * sessions that own no copies.
   */
  async start(): Promise<void> {
    await mkdir(this.sessionsDirectory, { recursive: true })
    await removeStaleTempFiles(this.directory)
    await removeStaleTempFiles(this.sessionsDirectory)
    await this.beat()
    const owners = new Set((await this.markers()).map((marker) => marker.sessionId))
    for (const session of await this.sessions()) {
      if (session.sessionId === this.sessionId || owners.has(session.sessionId)) continue
      if (this.isDead(session))
        await rm(this.sessionPath(session.sessionId), { force: true }).catch(() => undefined)
    }
    if (!this.heartbeat) {
      this.heartbeat = setInterval(() => {
        this.beating = this.beating.then(() => this.beat()).catch(() => undefined)
      }, this.heartbeatMs)
      this.heartbeat.unref?.()
    }
  }

  /** A clean end: stops the heartbeat and says so. Copies of unsaved documents are kept. */
  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat)
    this.heartbeat = null
    await this.beating
    // An autosave sent as the window closed is part of what the quit keeps.
    await Promise.allSettled([...this.writing])
    await this.writeSession(true)
  }

  /** Stops the heartbeat without saying the session ended, as a killed process does (tests). */
  abandon(): void {
    if (this.heartbeat) clearInterval(this.heartbeat)
    this.heartbeat = null
  }

  private sessionPath(sessionId: string): string {
    return join(this.sessionsDirectory, `${sessionId}.json`)
  }

  private async beat(): Promise<void> {
    await this.writeSession(false)
  }

  private async writeSession(ended: boolean): Promise<void> {
    const session: SessionFile = {
      sessionId: this.sessionId,
      heartbeatAt: this.now().toISOString(),
      ended,
    }
    await mkdir(this.sessionsDirectory, { recursive: true })
    await writeFileAtomic(this.sessionPath(this.sessionId), JSON.stringify(session))
  }

  private async sessions(): Promise<SessionFile[]> {
    let names: string[]
    try {
      names = await readdir(this.sessionsDirectory)
    } catch {
      return []
    }
    const sessions: SessionFile[] = []
    for (const name of names) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue
      try {
        const parsed = zSessionFile.safeParse(
          JSON.parse(await readFile(join(this.sessionsDirectory, name), 'utf8')),
        )
        if (parsed.success && `${parsed.data.sessionId}.json` === name) sessions.push(parsed.data)
      } catch {
        // unreadable: treated as absent, so its copies are offered
      }
    }
    return sessions
  }

  private isDead(session: SessionFile | undefined): boolean {
    if (!session || session.ended || this.exclusive) return true
    const age = this.now().getTime() - Date.parse(session.heartbeatAt)
    return !(age <= this.staleAfterMs)
  }

  /** A page connected: its documents' copies are its own until it goes away. */
  clientOpened(clientId: string): void {
    this.liveClients.add(clientId)
  }

  clientClosed(clientId: string): void {
    this.liveClients.delete(clientId)
  }

  /** Writes the project first and the marker second, each atomically. */
  async save(id: string, project: ProjectData, clientId: string): Promise<{ savedAt: string }> {
    const write = this.write(id, project, clientId)
    this.writing.add(write)
    try {
      return await write
    } finally {
      this.writing.delete(write)
    }
  }

  private async write(id: string, project: ProjectData, clientId: string) {
    await mkdir(this.directory, { recursive: true })
    const savedAt = this.now()
    const { project: projectPath } = this.paths(id)
    await writeFileAtomic(projectPath, await writeProjectFile(project, savedAt))
    const marker: Marker = {
      recoveryId: id,
      title: project.title,
      savedAt: savedAt.toISOString(),
      width: project.width,
      height: project.height,
      layerCount: project.layers.length,
      sessionId: this.sessionId,
      clientId,
    }
    await this.writeMarker(marker)
    return { savedAt: marker.savedAt }
  }

  private async writeMarker(marker: Marker): Promise<void> {
    await writeFileAtomic(this.paths(marker.recoveryId).marker, JSON.stringify(marker))
  }

  private async markers(): Promise<Marker[]> {
    let names: string[]
    try {
      names = await readdir(this.directory)
    } catch {
      return []
    }
    const markers: Marker[] = []
    for (const name of names) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue
      try {
        const parsed = zMarker.safeParse(
          JSON.parse(await readFile(join(this.directory, name), 'utf8')),
        )
        if (parsed.success && `${parsed.data.recoveryId}.json` === name) markers.push(parsed.data)
      } catch {
        // An unreadable marker is skipped; its project file is left for the user to find.
      }
    }
    return markers
  }

  /**
   * A reloaded page's socket may close a moment after the new page asks: copies held by other
   * live pages of this session are given `closingGraceMs` to be let go before they are withheld.
   */
  private async settle(clientId: string): Promise<void> {
    const deadline = Date.now() + this.closingGraceMs
    for (;;) {
      await Promise.allSettled([...this.writing])
      const held = (await this.markers()).some(
        (marker) =>
          marker.sessionId === this.sessionId &&
          marker.clientId !== undefined &&
          marker.clientId !== clientId &&
          this.liveClients.has(marker.clientId),
      )
      if (!held || Date.now() >= deadline) return
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  private async offered(clientId: string): Promise<Marker[]> {
    await this.settle(clientId)
    const sessions = new Map((await this.sessions()).map((session) => [session.sessionId, session]))
    return (await this.markers()).filter((marker) => {
      if (marker.sessionId === this.sessionId) {
        return (
          marker.clientId !== clientId &&
          (marker.clientId === undefined || !this.liveClients.has(marker.clientId))
        )
      }
      return this.isDead(marker.sessionId ? sessions.get(marker.sessionId) : undefined)
    })
  }

  /** Copies whose owners are gone, newest first, as `clientId` may see them. */
  async list(clientId: string): Promise<RecoveryEntry[]> {
    const left = await this.offered(clientId)
    left.sort((a, b) => b.savedAt.localeCompare(a.savedAt))
    return left.map(({ recoveryId, title, savedAt, width, height, layerCount }) => ({
      recoveryId,
      title,
      savedAt,
      width,
      height,
      layerCount,
    }))
  }

  /**
   * Reads a left-behind copy and hands it to `clientId`: the copy stays on disk, now owned by
   * that page, until its next save or autosave replaces or removes it.
   */
  async restore(id: string, clientId: string): Promise<ProjectData> {
    const marker = (await this.offered(clientId)).find((entry) => entry.recoveryId === id)
    if (!marker) {
      throw new GlideError(
        'PROJECT_INVALID',
        'That recovery copy no longer exists, or another window has it open.',
      )
    }
    const { project: projectPath } = this.paths(id)
    let project: ProjectData
    try {
      project = await readProjectFile(projectPath, 'the recovered project')
    } catch (error) {
      if ((error as GlideError).code === 'IO_ERROR') {
        throw new GlideError('PROJECT_INVALID', 'That recovery copy no longer exists.', {
          cause: error,
        })
      }
      throw error
    }
    await this.writeMarker({ ...marker, sessionId: this.sessionId, clientId })
    return project
  }

  async discard(id: string): Promise<boolean> {
    const { project, marker } = this.paths(id)
    const existed = (await this.markers()).some((entry) => entry.recoveryId === id)
    await rm(marker, { force: true })
    await rm(project, { force: true })
    return existed
  }
}
