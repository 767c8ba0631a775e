import { mkdir, readFile, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import type { ProjectData, RecoveryEntry } from '../../contract/documents'
import { zLayerId, zRecoveryEntry } from '../../contract/documents'
import { GlideError } from '../../contract/errors'
import { writeFileAtomic } from '../storage/atomicWrite'
import { readProjectFile, writeProjectFile } from './projectFile'

const zMarker = zRecoveryEntry.extend({ pid: z.number().int().nonnegative() })
type Marker = z.infer<typeof zMarker>

/** True when a process with this id is running (EPERM means it runs under another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export interface RecoveryStoreOptions {
  readonly pid?: number
  readonly isAlive?: (pid: number) => boolean
  readonly now?: () => Date
}

/**
 * Autosave copies in a recovery folder, never over the user's file: `<id>.glide` plus a marker
 * `<id>.json` (title, time, and the writing process's pid). A marker whose process is gone means
 * that session ended without closing cleanly, so its copy is offered on the next start; a live
 * pid is another running window, whose copies are left alone.
 */
export class RecoveryStore {
  private readonly pid: number
  private readonly isAlive: (pid: number) => boolean
  private readonly now: () => Date

  constructor(
    readonly directory: string,
    options: RecoveryStoreOptions = {},
  ) {
    this.pid = options.pid ?? process.pid
    this.isAlive = options.isAlive ?? isProcessAlive
    this.now = options.now ?? (() => new Date())
  }

  private paths(id: string): { project: string; marker: string } {
    const safe = zLayerId.parse(id)
    return {
      project: join(this.directory, `${safe}.glide`),
      marker: join(this.directory, `${safe}.json`),
    }
  }

  /** Writes the project first and the marker second, each atomically. */
  async save(project: ProjectData): Promise<{ savedAt: string }> {
    await mkdir(this.directory, { recursive: true })
    const savedAt = this.now()
    const { project: projectPath, marker: markerPath } = this.paths(project.documentId)
    await writeFileAtomic(projectPath, await writeProjectFile(project, savedAt))
    const marker: Marker = {
      recoveryId: project.documentId,
      title: project.title,
      savedAt: savedAt.toISOString(),
      width: project.width,
      height: project.height,
      layerCount: project.layers.length,
      pid: this.pid,
    }
    await writeFileAtomic(markerPath, Buffer.from(JSON.stringify(marker), 'utf8'))
    return { savedAt: marker.savedAt }
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

  /** Copies left by sessions that are no longer running, newest first. */
  async list(): Promise<RecoveryEntry[]> {
    const orphaned = (await this.markers()).filter(
      (marker) => marker.pid !== this.pid && !this.isAlive(marker.pid),
    )
    orphaned.sort((a, b) => b.savedAt.localeCompare(a.savedAt))
    return orphaned.map(({ pid: _pid, ...entry }) => entry)
  }

  async restore(id: string): Promise<ProjectData> {
    const { project } = this.paths(id)
    try {
      return await readProjectFile(project, 'the recovered project')
    } catch (error) {
      if ((error as GlideError).code === 'IO_ERROR') {
        throw new GlideError('PROJECT_INVALID', 'That recovery copy no longer exists.', {
          cause: error,
        })
      }
      throw error
    }
  }

  async discard(id: string): Promise<boolean> {
    const { project, marker } = this.paths(id)
    const existed = (await this.markers()).some((entry) => entry.recoveryId === id)
    await rm(marker, { force: true })
    await rm(project, { force: true })
    return existed
  }

  /** On a clean quit: drop this session's copies. */
  async discardOwn(): Promise<void> {
    for (const marker of await this.markers()) {
      if (marker.pid === this.pid) await this.discard(marker.recoveryId)
    }
  }
}
