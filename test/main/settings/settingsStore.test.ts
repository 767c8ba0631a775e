import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { defaultSettings } from '../../../contract/settings'
import { defaultConfigDir, SettingsStore } from '../../../main/settings/settingsStore'

const freshDir = () => mkdtempSync(join(tmpdir(), 'glide-settings-'))

describe('SettingsStore', () => {
  it('starts from the defaults and persists changes across reopen', async () => {
    const dir = freshDir()
    const store = await SettingsStore.open(dir)
    expect(store.get()).toEqual(defaultSettings)
    await store.applyPatch({ executionProvider: 'cpu', defaults: { guidanceScale: 5 } })
    await store.set({
      modelsDir: '/models',
      windowBounds: { x: 1, y: 2, width: 800, height: 600, maximized: false },
    })
    const reopened = await SettingsStore.open(dir)
    expect(reopened.get()).toMatchObject({
      executionProvider: 'cpu',
      modelsDir: '/models',
      defaults: { guidanceScale: 5, baseRespacing: '100' },
      windowBounds: { width: 800 },
    })
    // Atomic writes leave no temp files behind.
    expect(readdirSync(dir)).toEqual(['settings.json'])
  })

  it('moves an invalid file aside and falls back to the defaults', async () => {
    for (const content of [
      '{ torn',
      JSON.stringify({ ...defaultSettings, executionProvider: 'quantum' }),
    ]) {
      const dir = freshDir()
      writeFileSync(join(dir, 'settings.json'), content)
      const store = await SettingsStore.open(dir)
      expect(store.get()).toEqual(defaultSettings)
      expect(readFileSync(join(dir, 'settings.json.invalid'), 'utf8')).toBe(content)
    }
  })

  it('serialises concurrent writes so the last one wins', async () => {
    const dir = freshDir()
    const store = await SettingsStore.open(dir)
    await Promise.all(
      [1, 2, 3, 4, 5].map((batchSize) => store.applyPatch({ defaults: { batchSize } })),
    )
    const saved = JSON.parse(
      readFileSync(join(dir, 'settings.json'), 'utf8'),
    ) as typeof defaultSettings
    expect(saved.defaults.batchSize).toBe(5)
  })

  it('refuses invalid changes from main without touching the file', async () => {
    const dir = freshDir()
    const store = await SettingsStore.open(dir)
    await expect(store.set({ executionProvider: 'quantum' as never })).rejects.toThrow()
    expect(store.get()).toEqual(defaultSettings)
  })

  it('picks a per-OS config dir', () => {
    expect(defaultConfigDir('linux', {}, '/home/u')).toBe('/home/u/.config/glide-studio')
    expect(defaultConfigDir('linux', { XDG_CONFIG_HOME: '/x' }, '/home/u')).toBe('/x/glide-studio')
    expect(defaultConfigDir('darwin', {}, '/Users/u')).toBe(
      '/Users/u/Library/Application Support/Glide Studio',
    )
    expect(defaultConfigDir('win32', { APPDATA: 'C:\\AppData' }, 'C:\\u')).toContain('Glide Studio')
  })
})
