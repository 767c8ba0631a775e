import { homedir } from 'node:os'
import { posix, win32 } from 'node:path'

/** The environment variable that overrides where model folders live. */
export const modelsDirEnv = 'GLIDE_STUDIO_MODELS_DIR'

/**
 * The directory holding model folders: $GLIDE_STUDIO_MODELS_DIR when set, otherwise the
 * per-user data directory of the platform (XDG on Linux, Application Support on macOS,
 * %APPDATA% on Windows).
 */
export function defaultModelsDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  const path = platform === 'win32' ? win32 : posix
  const override = env[modelsDirEnv]
  if (override && override.trim() !== '') return path.resolve(override)
  switch (platform) {
    case 'win32': {
      const appData = env.APPDATA && win32.isAbsolute(env.APPDATA) ? env.APPDATA : undefined
      return win32.join(appData ?? win32.join(home, 'AppData', 'Roaming'), 'Glide Studio', 'models')
    }
    case 'darwin':
      return posix.join(home, 'Library', 'Application Support', 'Glide Studio', 'models')
    default: {
      // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
      const dataHome =
        env.XDG_DATA_HOME && posix.isAbsolute(env.XDG_DATA_HOME)
          ? env.XDG_DATA_HOME
          : posix.join(home, '.local', 'share')
      return posix.join(dataHome, 'glide-studio', 'models')
    }
  }
}

/**
 * The per-user cache directory (safe to delete): XDG_CACHE_HOME on Linux, Library/Caches on
 * macOS, %LOCALAPPDATA% on Windows.
 */
export function defaultCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  switch (platform) {
    case 'win32': {
      const localAppData =
        env.LOCALAPPDATA && win32.isAbsolute(env.LOCALAPPDATA) ? env.LOCALAPPDATA : undefined
      return win32.join(
        localAppData ?? win32.join(home, 'AppData', 'Local'),
        'Glide Studio',
        'cache',
      )
    }
    case 'darwin':
      return posix.join(home, 'Library', 'Caches', 'Glide Studio')
    default: {
      const cacheHome =
        env.XDG_CACHE_HOME && posix.isAbsolute(env.XDG_CACHE_HOME)
          ? env.XDG_CACHE_HOME
          : posix.join(home, '.cache')
      return posix.join(cacheHome, 'glide-studio')
    }
  }
}
