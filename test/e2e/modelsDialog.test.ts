/**
 * The Models dialog in browser mode: the released checkpoints listed with their sizes, a download
 * with progress that is stopped and resumed, the install converted into the models folder and
 * offered by the Model picker, a result generated with it, and a failed download's message.
 *
 * The mirror (GLIDE_STUDIO_MODEL_BASE_URL, as a user's mirror would be set) serves the reference
 * base checkpoint (a small GLIDE, 64 px) as base.pt and nothing else. The one test seam is
 * `installOptionsFor`: it gives that checkpoint its own options in place of the official ones, so it
 * installs as "glide-base"; download, resume, hashing, conversion and loading are the app's.
 */
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GlideOptions } from '../../main/engine/glideOptions'
import { modelBaseUrlEnv } from '../../main/models/officialModels'
import { openBrowserMode, type BrowserModeSession } from '../helpers/browser'

const reference = join(import.meta.dirname, '../fixtures/glide-reference/unet-base')
const checkpoint = readFileSync(join(reference, 'checkpoint.pt'))
const referenceOptions = (
  JSON.parse(readFileSync(join(reference, 'config.json'), 'utf8')) as { options: GlideOptions }
).options

/** While true the mirror sends 32 KiB every 20 ms (the 9.8 MB file then takes ~6 s). */
let slow = true
const ranges: Array<string | undefined> = []

function serve(request: IncomingMessage, response: ServerResponse): void {
  if (request.url !== '/base.pt') {
    response.writeHead(404)
    response.end()
    return
  }
  ranges.push(request.headers.range)
  const start = Number(/^bytes=(\d+)-$/.exec(request.headers.range ?? '')?.[1] ?? 0)
  const body = checkpoint.subarray(start)
  response.writeHead(start > 0 ? 206 : 200, {
    'content-length': body.length,
    ...(start > 0
      ? { 'content-range': `bytes ${start}-${checkpoint.length - 1}/${checkpoint.length}` }
      : {}),
  })
  if (!slow) {
    response.end(body)
    return
  }
  let offset = 0
  const timer = setInterval(() => {
    if (offset >= body.length) {
      clearInterval(timer)
      response.end()
      return
    }
    response.write(body.subarray(offset, offset + 32 * 1024))
    offset += 32 * 1024
  }, 20)
  response.on('close', () => clearInterval(timer))
}

const mirror = createServer(serve)
const savedBaseUrl = process.env[modelBaseUrlEnv]
const modelsDir = mkdtempSync(join(tmpdir(), 'glide-dialog-models-'))
let session: BrowserModeSession
let page: Page

beforeAll(async () => {
  await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve))
  process.env[modelBaseUrlEnv] = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/`
  session = await openBrowserMode({
    modelsDir,
    installOptionsFor: (key) => (key === 'base' ? referenceOptions : undefined),
  })
  page = session.page
})

afterAll(async () => {
  await session?.close()
  await new Promise<void>((resolve) => mirror.close(() => resolve()))
  if (savedBaseUrl === undefined) delete process.env[modelBaseUrlEnv]
  else process.env[modelBaseUrlEnv] = savedBaseUrl
})

describe('the Models dialog', () => {
  const dialog = () => page.getByRole('dialog', { name: 'Models' })
  const row = (name: string) => dialog().getByRole('listitem', { name, exact: true })
  const baseRow = () => row('GLIDE (filtered) base, 64 px')

  it('lists the released checkpoints with their sizes and where they go', async () => {
    await page.getByRole('button', { name: 'Models…' }).click()
    await expect.poll(() => dialog().getByTestId('models-folder').textContent()).toBe(modelsDir)
    const rows = dialog().getByTestId('official-model')
    await expect.poll(() => rows.count()).toBe(6)
    expect(await baseRow().textContent()).toMatch(/GLIDE \(filtered\) base, 64 px1\.5 GBDownload$/)
    for (const group of ['Text to image', 'Inpainting', 'CLIP guidance']) {
      await expect(dialog().getByRole('region', { name: group }).isVisible()).resolves.toBe(true)
    }
    await expect(
      dialog()
        .getByRole('button', { name: /^Download all missing \(6, 6\.9 GB\)$/ })
        .isVisible(),
    ).resolves.toBe(true)
    // The bundled GLIDE-mini is what is installed so far.
    const installed = dialog().getByTestId('installed-model')
    await expect.poll(() => installed.count()).toBeGreaterThan(0)
    expect(await installed.allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^GLIDE-mini base/)]),
    )
    await page.screenshot({ path: '/tmp/shots/B/models-dialog.png' })
  })

  it('shows a download progressing, stops it, and resumes it from the bytes kept', async () => {
    await baseRow().getByRole('button', { name: 'Download' }).click()
    const status = baseRow().getByTestId('install-status')
    await expect
      .poll(() => status.textContent(), { timeout: 30_000 })
      .toMatch(/^Downloading: [1-9]\d* of 10 MB \([1-9]\d? %\)$/)
    // The header's button shows the percentage too, for when the dialog is closed.
    await expect
      .poll(() => page.getByTestId('models-button-progress').textContent())
      .toMatch(/^\d+ %$/)
    await expect(
      baseRow().getByRole('progressbar', { name: 'GLIDE (filtered) base, 64 px progress' }).count(),
    ).resolves.toBe(1)
    await page.screenshot({ path: '/tmp/shots/B/models-downloading.png' })
    await baseRow().getByRole('button', { name: 'Cancel' }).click()
    await expect
      .poll(() => status.textContent())
      .toMatch(/^Stopped; the \d+ MB downloaded are kept and Download resumes from there\.$/)
    const part = join(modelsDir, '.downloads', 'base.pt.part')
    const kept = statSync(part).size
    expect(kept).toBeGreaterThan(0)
    expect(kept).toBeLessThan(checkpoint.length)
    expect(existsSync(join(modelsDir, 'glide-base'))).toBe(false)

    slow = false
    await baseRow().getByRole('button', { name: 'Download' }).click()
    await expect
      .poll(() => baseRow().getByText('Installed', { exact: true }).count(), { timeout: 60_000 })
      .toBe(1)
    expect(ranges).toEqual([undefined, `bytes=${kept}-`])
    expect(existsSync(join(modelsDir, 'glide-base', 'model.json'))).toBe(true)
    // Listed as installed, with its size on disk, and as the official base (fetched from the list).
    await expect
      .poll(() => dialog().getByRole('listitem', { name: 'glide-base' }).textContent())
      .toMatch(/^GLIDE \(filtered\) base, 64 px\d+ MBRemoveglide-base · base · 64 px · official$/)
    await expect(page.getByTestId('models-button-progress').count()).resolves.toBe(0)
    await page.screenshot({ path: '/tmp/shots/B/models-installed.png' })
  })

  it('queues every missing model and says why each download failed', async () => {
    // The mirror has none of the other five: each fails in turn with the server's answer.
    await dialog().getByRole('button', { name: 'Download all missing (5, 5.4 GB)' }).click()
    const alerts = dialog().getByRole('alert')
    await expect.poll(() => alerts.count(), { timeout: 30_000 }).toBe(5)
    for (const text of await alerts.allTextContents()) {
      expect(text).toMatch(/^HTTP 404 downloading http:\/\/127\.0\.0\.1:\d+\/\w+\.pt\.$/)
    }
    const upsampler = row('GLIDE (filtered) upsampler, 256 px')
    await expect(upsampler.getByRole('button', { name: 'Retry' }).isVisible()).resolves.toBe(true)
    // The Models button says so too (what shows with the dialog closed), the reasons as its tooltip.
    const failedMark = page.getByTestId('models-button-failed')
    await expect.poll(() => failedMark.textContent()).toBe('5 failed')
    expect(await page.getByRole('button', { name: /^Models…/ }).getAttribute('title')).toMatch(
      /^GLIDE \(filtered\) upsampler, 256 px: HTTP 404 downloading /,
    )
    expect(existsSync(join(modelsDir, 'glide-upsample'))).toBe(false)
    await page.screenshot({ path: '/tmp/shots/B/models-failed.png' })
  })

  it('offers the installed model in the Model picker and generates with it', async () => {
    await page.keyboard.press('Escape')
    await expect(dialog().count()).resolves.toBe(0)
    const panel = page.getByRole('form', { name: 'Prompt panel' })
    const picker = panel.getByLabel('Model', { exact: true })
    await expect
      .poll(() => picker.locator('option').allTextContents())
      .toEqual(expect.arrayContaining([expect.stringMatching(/^GLIDE \(filtered\) base, 64 px/)]))
    // Once installed, the official base is also what "Best installed" means.
    expect(await picker.locator('option:checked').textContent()).toBe(
      'Best installed: GLIDE (filtered) base, 64 px',
    )
    // No installed upsampler takes 64 px (GLIDE-mini's takes 32), and the picker says so.
    const upsampler = panel.getByLabel('Upsampler', { exact: true })
    expect(await upsampler.locator('option:checked').textContent()).toBe(
      'Best installed: none (base size)',
    )
    await picker.selectOption({ label: 'GLIDE (filtered) base, 64 px' })
    await upsampler.selectOption({ label: 'None (base size)' })
    await panel.getByLabel('Prompt', { exact: true }).fill('a red square')
    await panel.getByRole('checkbox', { name: 'New seed each run' }).uncheck()
    await panel.getByLabel('Seed', { exact: true }).fill('3')
    await panel.getByLabel('Steps', { exact: true }).fill('4')
    await panel.getByRole('button', { name: 'Generate', exact: true }).click()
    const result = page
      .getByRole('region', { name: 'Gallery' })
      .getByRole('img', { name: 'Result: a red square (3)' })
    await result.waitFor({ timeout: 60_000 })
    const size = await result.evaluate((canvas: HTMLCanvasElement) => [canvas.width, canvas.height])
    expect(size).toEqual([64, 64])
    // Esc with the dialog open closes the dialog only: the staged result stays to be accepted.
    const results = page.getByRole('group', { name: 'Results' })
    await results.waitFor()
    await page.getByRole('button', { name: 'Models…' }).click()
    await dialog().waitFor()
    await page.keyboard.press('Escape')
    await expect.poll(() => dialog().count()).toBe(0)
    await expect(results.isVisible()).resolves.toBe(true)
    await page.screenshot({ path: '/tmp/shots/B/models-generated.png' })
  })

  it('removes an installed model after asking, and not while a job runs', async () => {
    const panel = page.getByRole('form', { name: 'Prompt panel' })
    await page.getByRole('button', { name: 'Discard' }).click()
    // A long job on the model: removing it now is refused, and the message says why.
    await panel.getByLabel('Steps', { exact: true }).fill('1000')
    await panel.getByRole('button', { name: 'Generate', exact: true }).click()
    await expect
      .poll(() => panel.getByTestId('progress-text').first().textContent(), { timeout: 30_000 })
      .toMatch(/step \d+/)
    await page.getByRole('button', { name: 'Models…' }).click()
    const installedBase = dialog().getByRole('listitem', { name: 'glide-base' })
    await expect
      .poll(() => installedBase.textContent())
      .toMatch(/^GLIDE \(filtered\) base, 64 px\d+ MBRemove/)
    const asked: string[] = []
    page.on('dialog', (question) => {
      asked.push(question.message())
      void question.accept()
    })
    await installedBase.getByRole('button', { name: 'Remove' }).click()
    const message = dialog().getByTestId('removal-status')
    await expect
      .poll(() => message.textContent())
      .toBe('Models can be removed when no job is queued or running: wait or cancel them first.')
    expect(existsSync(join(modelsDir, 'glide-base'))).toBe(true)
    await page.keyboard.press('Escape')
    await panel.getByRole('button', { name: 'Cancel', exact: true }).click()
    await expect.poll(() => panel.getByTestId('progress-text').count(), { timeout: 30_000 }).toBe(0)

    await page.getByRole('button', { name: 'Models…' }).click()
    await installedBase.getByRole('button', { name: 'Remove' }).click()
    await expect
      .poll(() => message.textContent())
      .toMatch(/^Removed GLIDE \(filtered\) base, 64 px: \d+ MB freed\.$/)
    expect(asked).toHaveLength(2)
    expect(asked[1]).toBe(
      `Remove GLIDE (filtered) base, 64 px?\n\nThis deletes ${join(modelsDir, 'glide-base')} (${/\((\d+ MB)\)/.exec(asked[1] ?? '')?.[1]}).`,
    )
    expect(existsSync(join(modelsDir, 'glide-base'))).toBe(false)
    // With the message, the list no longer offers it.
    expect(await installedBase.count()).toBe(0)
    await expect
      .poll(() => baseRow().getByRole('button', { name: 'Download' }).isVisible())
      .toBe(true)
    // The install of earlier in the session is over: its row says nothing more of it.
    await expect.poll(() => baseRow().getByTestId('install-status').count()).toBe(0)
    await page.screenshot({ path: '/tmp/shots/B/models-removed.png' })
    await page.keyboard.press('Escape')
    // The pickers no longer offer it; "Best installed" is GLIDE-mini again.
    const picker = panel.getByLabel('Model', { exact: true })
    await expect
      .poll(() => picker.locator('option').allTextContents())
      .not.toEqual(expect.arrayContaining(['GLIDE (filtered) base, 64 px']))
    await expect
      .poll(() => picker.locator('option:checked').textContent())
      .toMatch(/^Best installed: GLIDE-mini base/)
  })
})
