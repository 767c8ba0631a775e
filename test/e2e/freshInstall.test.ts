/**
 * A fresh install with no models downloaded: browser mode opens with the bundled GLIDE-mini as
 * "Best installed" and generates with it (real ONNX sessions of the shipped model folders).
 */
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openBrowserMode, type BrowserModeSession } from '../helpers/browser'

let session: BrowserModeSession
let page: Page

beforeAll(async () => {
  // Empty models and config folders: nothing installed, nothing used before.
  session = await openBrowserMode()
  page = session.page
})

afterAll(async () => {
  await session?.close()
})

describe('a fresh install', () => {
  const panel = () => page.getByRole('form', { name: 'Prompt panel' })

  it('opens with GLIDE-mini selected', async () => {
    const model = panel().getByLabel('Model', { exact: true })
    await expect
      .poll(() => model.locator('option:checked').textContent())
      .toMatch(/^Best installed: GLIDE-mini base/)
    await expect(
      panel().getByLabel('Upsampler', { exact: true }).locator('option:checked').textContent(),
    ).resolves.toMatch(/^Best installed: GLIDE-mini upsampler/)
  })

  it('keeps the toolbar to two rows on a 1366×768 laptop screen, every tool button in view', async () => {
    await page.setViewportSize({ width: 1366, height: 768 })
    const toolbar = page.getByRole('toolbar', { name: 'Tools' })
    const rowTops = await toolbar.evaluate((bar) => {
      const tops = [...bar.querySelectorAll('button, select, input')].map(
        (control) => Math.round(control.getBoundingClientRect().top / 8) * 8,
      )
      return [...new Set(tops)].length
    })
    expect(rowTops).toBeLessThanOrEqual(2)
    for (const name of ['Undo', 'Fit', 'Extend', 'Canvas size']) {
      const control = page.getByRole(name === 'Extend' ? 'combobox' : 'button', {
        name,
        exact: true,
      })
      expect(await control.isVisible()).toBe(true)
    }
    await page.setViewportSize({ width: 1440, height: 900 })
  })

  it('says what GLIDE-mini can draw, and links to the Models dialog for the released GLIDE', async () => {
    const prompt = panel().getByLabel('Prompt', { exact: true })
    await expect(prompt.getAttribute('placeholder')).resolves.toBe(
      'a red circle above a blue square',
    )
    const hint = panel().getByText(/^GLIDE-mini, built in, draws coloured shapes/)
    await expect(hint.textContent()).resolves.toBe(
      'GLIDE-mini, built in, draws coloured shapes (circle, square, triangle, star, heart) and ' +
        'where they are. For any other subject, download GLIDE.',
    )
    await page.screenshot({ path: '/tmp/shots/B/fresh-hint.png' })
    await hint.getByRole('button', { name: 'download GLIDE' }).click()
    const dialog = page.getByRole('dialog', { name: 'Models' })
    await dialog.waitFor()
    await page.keyboard.press('Escape')
    await expect.poll(() => dialog.count()).toBe(0)
  })

  it('generates a 128 px image with GLIDE-mini', async () => {
    await panel().getByLabel('Prompt', { exact: true }).fill('a red circle on the left')
    await panel().getByRole('checkbox', { name: 'New seed each run' }).uncheck()
    await panel().getByLabel('Seed', { exact: true }).fill('1')
    await panel().getByLabel('Steps', { exact: true }).fill('10')
    await panel().getByRole('button', { name: 'Generate', exact: true }).click()
    await expect
      .poll(() => panel().getByTestId('progress-text').first().textContent(), { timeout: 60_000 })
      .toMatch(/step [2-9]/)
    await page.screenshot({ path: '/tmp/shots/B/fresh-running.png' })
    const result = page
      .getByRole('region', { name: 'Gallery' })
      .getByRole('img', { name: 'Result: a red circle on the left (1)' })
    await result.waitFor({ timeout: 60_000 })
    const size = await result.evaluate((canvas: HTMLCanvasElement) => [canvas.width, canvas.height])
    expect(size).toEqual([128, 128])
    // The result waits on the canvas, in the frame, to be accepted or discarded.
    await page.getByRole('group', { name: 'Results' }).waitFor()
    await page.getByRole('button', { name: 'Accept', exact: true }).click()
    await expect
      .poll(() => page.getByTestId('layers.item').first().getAttribute('aria-label'))
      .toBe('a red circle on the left (1)')
    // The layer says which models made it: "Best installed" resolved to GLIDE-mini's pair.
    await expect
      .poll(() => page.getByTestId('layer-models').textContent())
      .toBe('glide-mini-base → glide-mini-upsample')
    await page.screenshot({ path: '/tmp/shots/B/fresh-accepted.png' })
  })
})
