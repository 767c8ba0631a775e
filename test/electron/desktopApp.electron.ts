/**
 * The packaged-shape desktop app end to end, through Playwright's Electron driver: the built
 * bundles (`npm run build`) in Electron's binary, a real window, the utilityProcess inference host
 * and the small reference model. Run with `npm run test:electron` where Electron's binary is
 * installed; CI here installs without it and drives the same renderer in browser mode instead.
 */
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { _electron, type ElectronApplication, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { referenceModelsDir } from '../e2e/referenceModel'

const root = fileURLToPath(new URL('../..', import.meta.url))
let app: ElectronApplication
let page: Page
const userData = mkdtempSync(join(tmpdir(), 'glide-electron-user-'))

beforeAll(async () => {
  const electronBinary = (await import('electron')).default as unknown as string
  app = await _electron.launch({
    executablePath: electronBinary,
    args: [root, `--user-data-dir=${userData}`],
    env: { ...process.env, GLIDE_STUDIO_MODELS_DIR: await referenceModelsDir() },
  })
  page = await app.firstWindow()
})

afterAll(async () => {
  await app?.close()
})

describe('desktop app', () => {
  it('serves the renderer from the app protocol with the sandbox on', async () => {
    expect(page.url()).toMatch(/^app:\/\/glide\//)
    const exposed = await page.evaluate(() => ({
      glide: typeof (window as unknown as { glide?: unknown }).glide,
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
    }))
    expect(exposed).toEqual({ glide: 'object', require: 'undefined', process: 'undefined' })
  })

  it('names the document in the window title', async () => {
    const windowTitle = () =>
      app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.getTitle())
    await expect.poll(windowTitle).toBe('Untitled — Glide Studio')
  })

  it('generates an image through the utility-process host', async () => {
    const panel = page.getByRole('form', { name: 'Prompt panel' })
    await panel.getByLabel('Prompt', { exact: true }).fill('a red cube')
    await panel.getByRole('checkbox', { name: 'New seed each run' }).uncheck()
    await panel.getByLabel('Seed', { exact: true }).fill('7')
    await panel.getByLabel('Steps', { exact: true }).fill('5')
    await panel.getByRole('button', { name: 'Generate', exact: true }).click()
    await page
      .getByRole('region', { name: 'Gallery' })
      .getByRole('img', { name: 'Result: a red cube (7)' })
      .waitFor()
    // The Gallery keeps it in the user-data folder for the next session.
    expect(readdirSync(join(userData, 'results')).filter((name) => name.endsWith('.png'))).toEqual([
      expect.stringMatching(/-a-red-cube-7-1\.png$/),
    ])
  })

  it('Ctrl+C puts the staged result on the system clipboard as a picture', async () => {
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
    await page.keyboard.press('Control+c')
    await expect
      .poll(() =>
        app.evaluate(async ({ clipboard }) =>
          (await clipboard.read()).flatMap((item) => [...item.types]),
        ),
      )
      .toContain('image/png')
  })

  it('denies new windows', async () => {
    const before = app.windows().length
    await page.evaluate(() => window.open('https://example.com'))
    await page.waitForTimeout(500)
    expect(app.windows().length).toBe(before)
  })
})
