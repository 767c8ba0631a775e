import { describe, expect, it } from 'vitest'
import { defaultCacheDir, defaultModelsDir } from '../../../main/models/paths'

describe('defaultModelsDir', () => {
  it('follows XDG on Linux and falls back to ~/.local/share', () => {
    expect(defaultModelsDir({ XDG_DATA_HOME: '/data' }, 'linux', '/home/ann')).toBe(
      '/data/glide-studio/models',
    )
    expect(defaultModelsDir({}, 'linux', '/home/ann')).toBe(
      '/home/ann/.local/share/glide-studio/models',
    )
    expect(defaultModelsDir({ XDG_DATA_HOME: 'relative' }, 'linux', '/home/ann')).toBe(
      '/home/ann/.local/share/glide-studio/models',
    )
  })

  it('uses Application Support on macOS and %APPDATA% on Windows', () => {
    expect(defaultModelsDir({}, 'darwin', '/Users/ann')).toBe(
      '/Users/ann/Library/Application Support/Glide Studio/models',
    )
    expect(
      defaultModelsDir({ APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, 'win32', 'C:\\Users\\ann'),
    ).toBe('C:\\Users\\ann\\AppData\\Roaming\\Glide Studio\\models')
    expect(defaultModelsDir({}, 'win32', 'C:\\Users\\ann')).toBe(
      'C:\\Users\\ann\\AppData\\Roaming\\Glide Studio\\models',
    )
  })

  it('lets GLIDE_STUDIO_MODELS_DIR override every platform', () => {
    for (const platform of ['linux', 'darwin'] as const) {
      expect(defaultModelsDir({ GLIDE_STUDIO_MODELS_DIR: '/srv/models' }, platform, '/h')).toBe(
        '/srv/models',
      )
    }
    expect(defaultModelsDir({ GLIDE_STUDIO_MODELS_DIR: 'D:\\models' }, 'win32', 'C:\\h')).toBe(
      'D:\\models',
    )
  })
})

describe('defaultCacheDir', () => {
  it('follows XDG_CACHE_HOME on Linux, Library/Caches on macOS and %LOCALAPPDATA% on Windows', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/c' }, 'linux', '/home/ann')).toBe('/c/glide-studio')
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'rel' }, 'linux', '/home/ann')).toBe(
      '/home/ann/.cache/glide-studio',
    )
    expect(defaultCacheDir({}, 'darwin', '/Users/ann')).toBe(
      '/Users/ann/Library/Caches/Glide Studio',
    )
    expect(defaultCacheDir({}, 'win32', 'C:\\Users\\ann')).toBe(
      'C:\\Users\\ann\\AppData\\Local\\Glide Studio\\cache',
    )
  })
})
