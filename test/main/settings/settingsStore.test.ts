import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { defaultSettings, defaultToolSettings, zSettingsPatch } from '../../../contract/settings'
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

  it('remembers the tool options, merging each change over what it holds', async () => {
    const dir = freshDir()
    const store = await SettingsStore.open(dir)
    await store.applyPatch({ tools: { brushSize: 120, paintColour: '#2050e0' } })
    await store.applyPatch({ tools: { brushHardness: 0.3 } })
    expect((await SettingsStore.open(dir)).get().tools).toEqual({
      brushSize: 120,
      brushHardness: 0.3,
      paintColour: '#2050e0',
    })
  })

  it('reads a file written before tools were remembered, with the default tools', async () => {
    const dir = freshDir()
    const { tools: _absent, ...older } = { ...defaultSettings, executionProvider: 'cpu' }
    writeFileSync(join(dir, 'settings.json'), JSON.stringify(older))
    const store = await SettingsStore.open(dir)
    expect(store.get()).toMatchObject({ executionProvider: 'cpu', tools: defaultToolSettings })
    expect(readdirSync(dir)).toEqual(['settings.json'])
  })

  it('refuses tool options outside their limits from the renderer', () => {
    for (const tools of [
      { brushSize: 0 },
      { brushSize: 2000 },
      { brushHardness: 1.5 },
      { paintColour: 'red' },
      { paintColour: '#12345' },
      { opacity: 0.5 },
    ]) {
      expect(zSettingsPatch.safeParse({ tools }).success).toBe(false)
    }
    expect(zSettingsPatch.safeParse({ tools: { paintColour: '#A0b0C0' } }).success).toBe(true)
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
