/**
 * Never losing work, as a user of browser mode sees it (issue 15, item 6): the built renderer in
 * Chromium at 1440×900, main's document services behind the loopback server, real sharp and real
 * files. Open goes through the page's file picker, saves and exports arrive as browser downloads,
 * the browser's own "Leave site?" guards a reload with unsaved changes, and the autosaved copy is
 * offered again on the next page.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Download, Page } from 'playwright-core'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ProjectData } from '../../contract/documents'
import type { GlideOptions } from '../../main/engine/glideOptions'
import { importCheckpoint } from '../../main/models/importer'
import { flattenProject } from '../../main/documents/flatten'
import { readProjectFile } from '../../main/documents/projectFile'
import { startBrowserMode, type BrowserMode } from '../../main/server/browserMode'
import {
  buildRenderer,
  launchChromium,
  openPage,
  openThroughPicker as openPicked,
  writeFlatPng,
} from '../helpers/browser'

const shots = '/tmp/shots/D'
const work = mkdtempSync(join(tmpdir(), 'glide-documents-e2e-'))
const configDir = join(work, 'config')
const recoveryDir = join(configDir, 'recovery')
let mode: BrowserMode
let browser: Browser
let page: Page
const pageErrors: string[] = []
const dialogs: string[] = []

async function newPage(): Promise<void> {
  page = await openPage(browser, mode.server.url, { acceptDownloads: true, pageErrors })
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.type())
    void dialog.accept()
  })
}

let staticDir: string
const modelsDir = join(work, 'models')

/** The small reference text-to-image model (random weights, GLIDE's architecture). */
async function importReferenceBase(): Promise<void> {
  const fixture = fileURLToPath(new URL('../fixtures/glide-reference/unet-base/', import.meta.url))
  const { options } = JSON.parse(readFileSync(join(fixture, 'config.json'), 'utf8')) as {
    options: Partial<GlideOptions>
  }
  await importCheckpoint({
    kind: 'base',
    checkpointPath: join(fixture, 'checkpoint.pt'),
    options,
    outDir: join(modelsDir, 'reference-base'),
  })
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true })
  await importReferenceBase()
  staticDir = await buildRenderer()
  mode = await startBrowserMode({ staticDir, modelsDir, configDir })
  browser = await launchChromium()
  await newPage()
})

afterAll(async () => {
  await browser?.close()
  await mode?.close()
})

const layerItems = () => page.getByTestId('layers.item')
const recoveryCopies = async () =>
  (await readdir(recoveryDir).catch(() => [] as string[])).filter((name) => name.endsWith('.glide'))
const status = () => page.locator('.editor-banner[role="status"]')
const button = (name: string) => page.getByRole('button', { name, exact: true })

const flat = (width: number, height: number, colour: string, name: string) =>
  writeFlatPng(join(work, name), width, height, colour)

/** Open through the toolbar: the page's file picker, as a user picks a file. */
const openThroughPicker = (path: string) => openPicked(page, path)

async function downloadOf(click: () => Promise<void>): Promise<{ name: string; path: string }> {
  const pending = page.waitForEvent('download')
  await click()
  const download: Download = await pending
  const path = join(work, `${Date.now()}-${download.suggestedFilename()}`)
  await download.saveAs(path)
  return { name: download.suggestedFilename(), path }
}

async function dropFile(name: string, bytes: Buffer, type: string): Promise<void> {
  const canvas = page.getByTestId('editor.canvas')
  const box = (await canvas.boundingBox())!
  const transfer = await page.evaluateHandle(
    ({ data, fileName, mime }) => {
      const dataTransfer = new DataTransfer()
      dataTransfer.items.add(new File([new Uint8Array(data)], fileName, { type: mime }))
      return dataTransfer
    },
    { data: [...bytes], fileName: name, mime: type },
  )
  await canvas.dispatchEvent('drop', {
    dataTransfer: transfer,
    clientX: box.x + box.width / 2,
    clientY: box.y + box.height / 2,
  })
}

function expectSameLayers(a: ProjectData, b: ProjectData): void {
  expect([b.width, b.height]).toEqual([a.width, a.height])
  expect(b.layers.map((layer) => layer.name)).toEqual(a.layers.map((layer) => layer.name))
  a.layers.forEach((layer, index) => {
    const other = b.layers[index]!
    expect(other.pixels?.bounds).toEqual(layer.pixels?.bounds)
    if (layer.pixels) {
      expect(Buffer.from(other.pixels!.data).equals(Buffer.from(layer.pixels.data))).toBe(true)
    }
  })
}

let savedProject: ProjectData
let savedPath: string

describe('documents in browser mode', () => {
  it('Open a PNG through the file picker: a document of its size; Export PNG downloads it', async () => {
    await openThroughPicker(await flat(640, 448, '#a8d0f0', 'sky.png'))
    await expect.poll(() => layerItems().count()).toBe(1)
    await expect.poll(() => layerItems().first().getAttribute('aria-label')).toBe('sky')
    const exported = await downloadOf(() => button('Export PNG').click())
    expect(exported.name).toBe('sky.png')
    await expect.poll(() => status().textContent()).toContain('Exported sky.png')
    const { data, info } = await sharp(exported.path)
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true })
    expect([info.width, info.height]).toEqual([640, 448])
    expect([...data.subarray(0, 4)]).toEqual([0xa8, 0xd0, 0xf0, 255])
    expect([...data.subarray(data.length - 4)]).toEqual([0xa8, 0xd0, 0xf0, 255])
    await page.screenshot({ path: join(shots, '1-opened-png.png') })
  })

  it('Export PNG: the download holds the composite of the layers, named as the message says', async () => {
    await dropFile(
      'sun.png',
      await sharp({ create: { width: 60, height: 40, channels: 4, background: '#ffd000' } })
        .png()
        .toBuffer(),
      'image/png',
    )
    await expect.poll(() => layerItems().count()).toBe(2)
    const exported = await downloadOf(() => button('Export PNG').click())
    await expect.poll(() => status().textContent()).toContain(`Exported ${exported.name}`)
    const saved = await downloadOf(() => button('Save').click())
    expect(saved.name).toBe('sky.glide')
    await expect.poll(() => status().textContent()).toContain('Saved sky.glide')
    savedPath = saved.path
    savedProject = await readProjectFile(saved.path, 'sky.glide')
    expect(savedProject.layers.map((layer) => layer.name)).toEqual(['sky', 'sun'])
    const composite = flattenProject(savedProject)
    const png = await sharp(exported.path).ensureAlpha().raw().toBuffer()
    expect(Buffer.from(png).equals(Buffer.from(composite))).toBe(true)
    // The sun is really in it: its middle is yellow, the corner still sky.
    const sun = savedProject.layers[1]!.pixels!.bounds
    const middle = ((sun.y + 20) * 640 + sun.x + 30) * 4
    expect([...png.subarray(middle, middle + 3)]).toEqual([0xff, 0xd0, 0x00])
    // Downloads only: nothing was written to a folder on the server's machine.
    expect(await readdir(configDir)).not.toContain('exports')
  })

  it('Save, reload, Open the .glide through the picker: the same layers pixel for pixel', async () => {
    // Saved: the reload is not guarded and nothing is offered back.
    const before = dialogs.length
    await page.reload()
    await page.getByTestId('editor.canvas').waitFor()
    expect(dialogs.length).toBe(before)
    await expect.poll(() => layerItems().count()).toBe(1)
    expect(await page.getByRole('alert', { name: 'Recovery' }).count()).toBe(0)
    await openThroughPicker(savedPath)
    await expect.poll(() => layerItems().count()).toBe(2)
    const again = await downloadOf(() => button('Save').click())
    expectSameLayers(savedProject, await readProjectFile(again.path, 'again'))
    await page.screenshot({ path: join(shots, '2-reopened-glide.png') })
  })

  it('a dropped .glide opens as the document', async () => {
    await openThroughPicker(await flat(32, 32, '#000000', 'tiny.png'))
    await expect.poll(() => layerItems().first().getAttribute('aria-label')).toBe('tiny')
    const { readFile } = await import('node:fs/promises')
    await dropFile('sky.glide', await readFile(savedPath), 'application/octet-stream')
    await expect.poll(() => layerItems().count()).toBe(2)
    await expect.poll(() => layerItems().first().getAttribute('aria-label')).toBe('sun')
  })

  it('reload with unsaved changes: the browser asks, and the next page offers the document back', async () => {
    await dropFile(
      'moon.png',
      await sharp({ create: { width: 30, height: 30, channels: 4, background: '#eeeeee' } })
        .png()
        .toBuffer(),
      'image/png',
    )
    await expect.poll(() => layerItems().count()).toBe(3)
    // A click gives the page the user activation browsers require before they guard a reload.
    await page.getByRole('toolbar', { name: 'Tools' }).click({ position: { x: 2, y: 2 } })
    // The change is autosaved a few seconds later (a send while the page unloads is best effort).
    await expect.poll(recoveryCopies, { timeout: 20_000 }).toHaveLength(1)
    const before = dialogs.length
    await page.reload()
    await page.getByTestId('editor.canvas').waitFor()
    expect(dialogs.slice(before)).toEqual(['beforeunload'])
    const banner = page.getByRole('alert', { name: 'Recovery' })
    await expect.poll(() => banner.count()).toBe(1)
    await expect.poll(() => banner.textContent()).toContain('“sky” has unsaved changes')
    await page.screenshot({ path: join(shots, '3-offered-after-reload.png') })
    await banner.getByRole('button', { name: 'Restore' }).click()
    await expect.poll(() => layerItems().count()).toBe(3)
    await expect.poll(() => layerItems().first().getAttribute('aria-label')).toBe('moon')
    // The restored copy stays on disk until the next save.
    expect((await readdir(recoveryDir)).filter((name) => name.endsWith('.glide'))).toHaveLength(1)
    const saved = await downloadOf(() => button('Save').click())
    const restored = await readProjectFile(saved.path, 'restored')
    expectSameLayers(savedProject, { ...restored, layers: restored.layers.slice(0, 2) })
    await expect
      .poll(async () => (await readdir(recoveryDir)).filter((name) => name.endsWith('.glide')))
      .toEqual([])
  })

  it('New with unsaved changes asks first; Cancel keeps the document, Discard changes replaces it', async () => {
    await dropFile(
      'star.png',
      await sharp({ create: { width: 20, height: 20, channels: 4, background: '#ff0000' } })
        .png()
        .toBuffer(),
      'image/png',
    )
    await expect.poll(() => layerItems().count()).toBe(4)
    await button('New').click()
    const question = page.getByRole('alertdialog', { name: 'Unsaved changes' })
    await question.waitFor()
    expect(await question.textContent()).toContain('“sky” has unsaved changes')
    await page.screenshot({ path: join(shots, '4-new-asks-first.png') })
    expect(await page.getByRole('form', { name: 'New document' }).count()).toBe(0)
    await question.getByRole('button', { name: 'Cancel' }).click()
    await expect.poll(() => question.count()).toBe(0)
    expect(await layerItems().count()).toBe(4)
    await button('New').click()
    await question.getByRole('button', { name: 'Discard changes' }).click()
    const form = page.getByRole('form', { name: 'New document' })
    await form.getByLabel('Width').fill('300')
    await form.getByLabel('Height').fill('200')
    await form.getByRole('button', { name: 'Create' }).click()
    await expect.poll(() => layerItems().count()).toBe(1)
    const exported = await downloadOf(() => button('Export PNG').click())
    const meta = await sharp(exported.path).metadata()
    expect([meta.width, meta.height]).toEqual([300, 200])
    // Discarded: its recovery copy is gone too.
    await expect
      .poll(async () => (await readdir(recoveryDir)).filter((name) => name.endsWith('.glide')))
      .toEqual([])
  })

  it('New → From image makes a document of the picture’s size', async () => {
    await button('New').click()
    const chooser = page.waitForEvent('filechooser')
    await page
      .getByRole('form', { name: 'New document' })
      .getByRole('button', { name: 'From image…' })
      .click()
    await (await chooser).setFiles(await flat(500, 260, '#336699', 'harbour.png'))
    await expect.poll(() => layerItems().first().getAttribute('aria-label')).toBe('harbour')
    // The document is made: the New form has done its work and goes away.
    await expect.poll(() => page.getByRole('form', { name: 'New document' }).count()).toBe(0)
    const exported = await downloadOf(() => button('Export PNG').click())
    expect(exported.name).toBe('harbour.png')
    const meta = await sharp(exported.path).metadata()
    expect([meta.width, meta.height]).toEqual([500, 260])
    await page.screenshot({ path: join(shots, '5-new-from-image.png') })
  })

  it('reload after an accept: the document is offered back with the accepted layer', async () => {
    const panel = page.getByRole('form', { name: 'Prompt panel' })
    await panel.getByLabel('Upsampler', { exact: true }).selectOption({ label: 'None (base size)' })
    await panel.getByLabel('Prompt', { exact: true }).fill('a red circle')
    await panel.getByLabel('Steps', { exact: true }).fill('2')
    await panel.getByLabel('Variations', { exact: true }).fill('1')
    await panel.getByRole('button', { name: 'Generate', exact: true }).click()
    await page.getByRole('group', { name: 'Results' }).waitFor({ timeout: 120_000 })
    await button('Accept').click()
    await expect.poll(() => layerItems().count()).toBe(2)
    const accepted = await layerItems().first().getAttribute('aria-label')
    expect(accepted).toMatch(/^a red circle \(\d+\)$/)
    // Accepting autosaves at once.
    await expect.poll(recoveryCopies, { timeout: 20_000 }).toHaveLength(1)
    const before = dialogs.length
    await page.reload()
    await page.getByTestId('editor.canvas').waitFor()
    expect(dialogs.slice(before)).toEqual(['beforeunload'])
    const banner = page.getByRole('alert', { name: 'Recovery' })
    await expect.poll(() => banner.textContent()).toContain('“harbour” has unsaved changes')
    await banner.getByRole('button', { name: 'Restore' }).click()
    await expect.poll(() => layerItems().first().getAttribute('aria-label')).toBe(accepted)
    await page.screenshot({ path: join(shots, '6-restored-after-accept.png') })
  })

  it('a killed server: the next start offers the copy (random session ids, a heartbeat)', async () => {
    const copies = async () =>
      (await readdir(recoveryDir)).filter((name) => name.endsWith('.glide'))
    // The restored document's copy is still there (kept until the next save).
    expect(await copies()).toHaveLength(1)
    await page.close()
    // Killed: no clean stop; its heartbeat stops and, a minute later, is stale.
    await mode.server.close()
    mode.host.dispose()
    mode.documents.recovery.abandon()
    const sessionFile = join(recoveryDir, 'sessions', `${mode.documents.recovery.sessionId}.json`)
    const session = JSON.parse(await readFile(sessionFile, 'utf8')) as { heartbeatAt: string }
    session.heartbeatAt = new Date(Date.now() - 60_000).toISOString()
    await writeFile(sessionFile, JSON.stringify(session))
    mode = await startBrowserMode({ staticDir, modelsDir, configDir })
    await newPage()
    const banner = page.getByRole('alert', { name: 'Recovery' })
    await expect.poll(() => banner.textContent()).toContain('“harbour” has unsaved changes')
    await banner.getByRole('button', { name: 'Restore' }).click()
    await expect.poll(() => layerItems().count()).toBe(2)
    expect(pageErrors).toEqual([])
  })

  it('New, then Open instead: the opened picture replaces the document and the New form goes', async () => {
    const form = page.getByRole('form', { name: 'New document' })
    // A blank document first, so neither New nor Open asks about unsaved changes.
    await button('New').click()
    const question = page.getByRole('alertdialog', { name: 'Unsaved changes' })
    await expect.poll(async () => (await question.count()) + (await form.count())).toBe(1)
    if ((await question.count()) > 0)
      await question.getByRole('button', { name: 'Discard changes' }).click()
    await form.getByRole('button', { name: 'Create' }).click()
    await expect.poll(() => form.count()).toBe(0)
    await button('New').click()
    await form.waitFor()
    await openThroughPicker(await flat(120, 80, '#aa3300', 'brick.png'))
    await expect.poll(() => layerItems().first().getAttribute('aria-label')).toBe('brick')
    await expect.poll(() => form.count()).toBe(0)
    expect(pageErrors).toEqual([])
  })

  it('Export → JPEG and WebP download the picture in those formats', async () => {
    // The document is the opened brick picture (120×80, #aa3300).
    const exportMenu = page.getByRole('combobox', { name: 'Export' })
    for (const [format, name] of [
      ['jpeg', 'brick.jpg'],
      ['webp', 'brick.webp'],
    ] as const) {
      const file = await downloadOf(() => exportMenu.selectOption(format).then(() => undefined))
      expect(file.name).toBe(name)
      const image = sharp(file.path)
      expect(await image.metadata()).toMatchObject({ format, width: 120, height: 80 })
      const pixels = await image.removeAlpha().raw().toBuffer()
      const middle = (40 * 120 + 60) * 3
      const colour = [...pixels.subarray(middle, middle + 3)]
      expect(colour.every((value, c) => Math.abs(value - [0xaa, 0x33, 0x00][c]!) <= 6)).toBe(true)
      await expect
        .poll(() => page.locator('.editor-banner[role="status"]').last().textContent())
        .toContain(`Exported ${name}`)
    }
    expect(pageErrors).toEqual([])
  })

  it('a discarded result leaves no unsaved changes: the reload is not guarded, nothing is offered', async () => {
    const panel = page.getByRole('form', { name: 'Prompt panel' })
    await panel.getByLabel('Upsampler', { exact: true }).selectOption({ label: 'None (base size)' })
    await panel.getByLabel('Prompt', { exact: true }).fill('a blue square')
    await panel.getByLabel('Steps', { exact: true }).fill('2')
    await panel.getByLabel('Variations', { exact: true }).fill('1')
    await panel.getByRole('button', { name: 'Generate', exact: true }).click()
    const results = page.getByRole('group', { name: 'Results' })
    await results.waitFor({ timeout: 120_000 })
    await results.getByRole('button', { name: 'Discard', exact: true }).click()
    await expect.poll(() => results.count()).toBe(0)
    // Undo would bring the result back, but the document itself is as it was.
    await expect(button('Undo').getAttribute('title')).resolves.toMatch(/^Undo Discard/)
    const before = dialogs.length
    await page.reload()
    await page.getByTestId('editor.canvas').waitFor()
    expect(dialogs.slice(before)).toEqual([])
    await page.waitForTimeout(500)
    await expect(page.getByRole('alert', { name: 'Recovery' }).count()).resolves.toBe(0)
    expect(await recoveryCopies()).toEqual([])
  })

  it('the header and window title name the document, mark unsaved changes and show a running job', async () => {
    const name = () => page.locator('.document-name')
    const unsavedMark = () => page.getByRole('img', { name: 'Unsaved changes' })
    await openThroughPicker(await flat(200, 150, '#336699', 'harbour.png'))
    await expect.poll(() => name().textContent()).toBe('harbour')
    await expect.poll(() => page.title()).toBe('harbour — Glide Studio')
    expect(await unsavedMark().count()).toBe(0)

    // A click renames: the old name is selected, so typing replaces it.
    await name().click()
    await page.keyboard.type('Harbour at dusk')
    await page.keyboard.press('Enter')
    await expect.poll(() => name().textContent()).toBe('Harbour at dusk')
    await expect.poll(() => page.title()).toBe('● Harbour at dusk — Glide Studio')
    expect(await unsavedMark().isVisible()).toBe(true)
    await page.screenshot({ path: join(shots, '8-renamed.png') })
    // Esc keeps the name; so does an empty one.
    await name().click()
    await page.keyboard.type('not this')
    await page.keyboard.press('Escape')
    await name().click()
    await page.getByRole('textbox', { name: 'Document name' }).fill('')
    await page.keyboard.press('Enter')
    await expect.poll(() => name().textContent()).toBe('Harbour at dusk')

    // Saves and exports are offered under the name; a save clears the mark.
    const saved = await downloadOf(() => button('Save').click())
    expect(saved.name).toBe('Harbour at dusk.glide')
    await expect.poll(() => page.title()).toBe('Harbour at dusk — Glide Studio')
    expect(await unsavedMark().count()).toBe(0)
    expect((await downloadOf(() => button('Export PNG').click())).name).toBe('Harbour at dusk.png')
    // Save as (Ctrl/Cmd+Shift+S; desktop: a new file chosen in the dialog) downloads here too.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
    expect((await downloadOf(() => page.keyboard.press('Control+Shift+S'))).name).toBe(
      'Harbour at dusk.glide',
    )
    expect((await readProjectFile(saved.path, saved.name)).title).toBe('Harbour at dusk')

    // A generation's progress leads the title while it runs, and goes when it ends.
    const panel = page.getByRole('form', { name: 'Prompt panel' })
    await panel.getByLabel('Prompt', { exact: true }).fill('a blue square')
    await panel.getByLabel('Steps', { exact: true }).fill('40')
    await panel.getByLabel('Variations', { exact: true }).fill('1')
    await panel.getByRole('button', { name: 'Generate', exact: true }).click()
    await page.waitForFunction(() =>
      /^Sampling \d+% · Harbour at dusk — Glide Studio$/.test(document.title),
    )
    const results = page.getByRole('group', { name: 'Results' })
    await results.waitFor({ timeout: 120_000 })
    await expect.poll(() => page.title()).toBe('Harbour at dusk — Glide Studio')
    await results.getByRole('button', { name: 'Discard', exact: true }).click()

    // A project opens under its file's name, as the person sees it in their folder.
    const renamedCopy = join(work, 'final version.glide')
    await writeFile(renamedCopy, await readFile(saved.path))
    await openThroughPicker(renamedCopy)
    await expect.poll(() => name().textContent()).toBe('final version')
    await expect.poll(() => page.title()).toBe('final version — Glide Studio')
    expect(pageErrors).toEqual([])
  })
})
