import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { InferenceHostClient } from '../../../main/inference/client/hostClient'
import { createServices, type ServicesOptions } from '../../../main/ipc/services'
import { SettingsStore } from '../../../main/settings/settingsStore'

async function services(extra: Partial<ServicesOptions> = {}) {
  const settings = await SettingsStore.open(mkdtempSync(join(tmpdir(), 'glide-services-')))
  const host = new InferenceHostClient(() => {
    throw new Error('no host here')
  })
  return {
    settings,
    ...createServices({
      mode: 'desktop',
      version: '1.2.3',
      settings,
      host,
      models: { list: () => Promise.resolve([]) },
      emit: () => undefined,
      ...extra,
    }),
  }
}

describe('services', () => {
  it('sets the models folder only from main’s own picker', async () => {
    const withPicker = await services({ chooseDirectory: () => Promise.resolve('/chosen/models') })
    await expect(withPicker.handlers['settings.chooseModelsDir']({})).resolves.toMatchObject({
      modelsDir: '/chosen/models',
    })
    expect(
      (await SettingsStore.open(join(withPicker.settings.filePath, '..'))).get().modelsDir,
    ).toBe('/chosen/models')

    const cancelled = await services({ chooseDirectory: () => Promise.resolve(null) })
    await expect(cancelled.handlers['settings.chooseModelsDir']({})).resolves.toMatchObject({
      modelsDir: null,
    })

    const browser = await services()
    await expect(browser.handlers['settings.chooseModelsDir']({})).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })

  it('reports the app and host state', async () => {
    const { handlers } = await services()
    expect(await handlers['app.info']({})).toMatchObject({
      version: '1.2.3',
      mode: 'desktop',
      hostState: 'stopped',
      provider: null,
    })
  })
})
