import { mkdir, readFile, rename } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'
import {
  defaultSettings,
  zSettings,
  type Settings,
  type SettingsPatch,
} from '../../contract/settings'
import { writeFileAtomic } from '../storage/atomicWrite'

/** The per-user config folder for browser mode and the CLI; Electron uses app.getPath('userData'). */
export function defaultConfigDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string {
  if (env.GLIDE_STUDIO_CONFIG_DIR) return env.GLIDE_STUDIO_CONFIG_DIR
  switch (platform) {
    case 'win32':
      return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Glide Studio')
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'Glide Studio')
    default:
      return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'glide-studio')
  }
}

export const settingsFileName = 'settings.json'

/**
 * Settings kept as JSON, written atomically. A file that is unreadable or fails the schema is
 * moved aside (settings.json.invalid) and the defaults are used, so a bad file never stops the app.
 */
export class SettingsStore {
  private pendingWrite: Promise<void> = Promise.resolve()

  private constructor(
    readonly filePath: string,
    private current: Settings,
  ) {}

  static async open(configDir: string): Promise<SettingsStore> {
    const filePath = join(configDir, settingsFileName)
    let settings = defaultSettings
    let text: string | null = null
    try {
      text = await readFile(filePath, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    if (text !== null) {
      const parsed = zSettings.safeParse(safeJson(text))
      if (parsed.success) settings = parsed.data
      else await rename(filePath, `${filePath}.invalid`).catch(() => undefined)
    }
    return new SettingsStore(filePath, structuredClone(settings))
  }

  get(): Settings {
    return structuredClone(this.current)
  }

  /** What the renderer may change (already validated against zSettingsPatch). */
  applyPatch(patch: SettingsPatch): Promise<Settings> {
    return this.set({
      ...(patch.executionProvider ? { executionProvider: patch.executionProvider } : {}),
      defaults: { ...this.current.defaults, ...patch.defaults },
      tools: { ...this.current.tools, ...patch.tools },
    })
  }

  /** Main's own changes (models dir from a dialog, window bounds). */
  async set(change: Partial<Omit<Settings, 'version'>>): Promise<Settings> {
    const next = zSettings.parse({ ...this.current, ...change })
    this.current = next
    const json = `${JSON.stringify(next, null, 2)}\n`
    this.pendingWrite = this.pendingWrite
      .catch(() => undefined)
      .then(async () => {
        await mkdir(dirname(this.filePath), { recursive: true })
        await writeFileAtomic(this.filePath, json)
      })
    await this.pendingWrite
    return this.get()
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
