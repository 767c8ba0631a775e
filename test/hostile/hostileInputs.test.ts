/**
 * Issue 17: a hostile-input suite. Every class the issue probed (projects, OpenRaster, images,
 * IPC payloads, the browser-mode server, model folders, downloads, names) is fed crafted and
 * generated bad input through the parts the app really runs: the IPC router over the real
 * services, the document decoder process (sharp in a child, as in browser mode), the loopback
 * server, the model lister, the downloader, the document save path. A case counts as handled
 * when it ends in a typed error (a GlideError code other than INTERNAL, or an HTTP refusal), or,
 * where the input is odd but legal, in a valid result. After each class the app must still
 * answer. The last test prints how many cases were tried and checks that every one was handled.
 */
import { execFile } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import { connect as connectSocket, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSync } from 'node:zlib'
import fc from 'fast-check'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { ProjectData } from '../../contract/documents'
import { errorCodes, GlideError } from '../../contract/errors'
import { requestChannels } from '../../contract/ipc'
import { decodeWire, encodeWire } from '../../contract/wire'
import { DocumentDecoderClient } from '../../main/documents/decoder/decoderClient'
import type { ToDecoder } from '../../main/documents/decoder/protocol'
import { createDocumentService, folderDialogs } from '../../main/documents/documentServices'
import { writeOpenRaster } from '../../main/documents/openRaster'
import { projectFormat, writeProjectFile } from '../../main/documents/projectFile'
import { writeZip } from '../../main/documents/zip/zipWriter'
import { InferenceHostClient } from '../../main/inference/client/hostClient'
import { nodeDecoderLauncher } from '../../main/inference/client/nodeHostLauncher'
import { createRouter, type Route } from '../../main/ipc/router'
import { isAppSender, type SenderFrame } from '../../main/ipc/senderGuard'
import { createServices } from '../../main/ipc/services'
import { createNodeModelRegistry } from '../../main/jobs/nodeModels'
import { downloadFile, redirectRefusal } from '../../main/models/download'
import { writeManifest } from '../../main/models/modelFolder'
import {
  sessionCookieName,
  startBrowserServer,
  type BrowserServer,
} from '../../main/server/browserServer'
import { SettingsStore } from '../../main/settings/settingsStore'
import { writeFileAtomic } from '../../main/storage/atomicWrite'
import { maxNameBytes } from '../../main/storage/fileNames'
import { bombPng, glideBomb, oraBomb, oraFile, pngChunk } from '../helpers/hostileFiles'
import { baseManifest } from '../main/models/manifestFixtures'
import { noise, sampleProject } from '../main/documents/fixtures'

type HostileClass =
  | 'projects'
  | 'openraster'
  | 'images'
  | 'ipc'
  | 'browser server'
  | 'model folders'
  | 'downloads'
  | 'names'

const tally = new Map<HostileClass, { tried: number; mishandled: string[] }>()
const work = mkdtempSync(join(tmpdir(), 'glide-hostile-'))
const appFrame: SenderFrame = { url: 'app://glide/index.html', parent: null }

function record(kind: HostileClass, name: string, problem: string | null): void {
  const entry = tally.get(kind) ?? { tried: 0, mishandled: [] }
  entry.tried += 1
  if (problem) entry.mishandled.push(`${name}: ${problem}`)
  tally.set(kind, entry)
}

function mishandled(kind: HostileClass): string[] {
  return tally.get(kind)?.mishandled ?? []
}

/** A typed refusal: a contract error code, not INTERNAL, with a message meant for people. */
function typedProblem(code: unknown, message: unknown): string | null {
  if (typeof code !== 'string' || !(errorCodes as readonly string[]).includes(code))
    return `untyped error ${String(code)}: ${String(message)}`
  if (code === 'INTERNAL') return `INTERNAL: ${String(message)}`
  if (typeof message !== 'string' || message.length === 0 || message.length > 4000)
    return `${code} without a readable message`
  return null
}

/**
 * One IPC request through the router; `accept` says whether a successful answer is fine for
 * this input (odd but legal), else only a typed refusal is.
 */
async function viaRouter(
  kind: HostileClass,
  name: string,
  channel: unknown,
  input: unknown,
  accept: (value: unknown) => boolean = () => false,
  sender: SenderFrame | null = appFrame,
): Promise<void> {
  let problem: string | null
  try {
    const result = (await route(channel, input, sender)) as {
      ok: boolean
      value?: unknown
      error?: { code: unknown; message: unknown }
    }
    if (result.ok) problem = accept(result.value) ? null : 'accepted'
    else problem = typedProblem(result.error?.code, result.error?.message)
  } catch (error) {
    problem = `threw ${String(error)}`
  }
  record(kind, name, problem)
}

/** A direct call that must fail with a GlideError (or, with `accept`, may succeed). */
async function viaCall(
  kind: HostileClass,
  name: string,
  call: () => Promise<unknown>,
  accept: (value: unknown) => boolean = () => false,
): Promise<GlideError | null> {
  try {
    const value = await call()
    record(kind, name, accept(value) ? null : 'accepted')
    return null
  } catch (error) {
    if (!(error instanceof GlideError)) {
      record(kind, name, `threw a ${(error as Error)?.name ?? typeof error}: ${String(error)}`)
      return null
    }
    record(kind, name, typedProblem(error.code, error.message))
    return error
  }
}

/** Seeded byte flips: the same damaged copies on every run. */
function flipped(bytes: Uint8Array, seed: number, flips: number): Uint8Array {
  const copy = new Uint8Array(bytes)
  let state = seed * 2654435761
  for (let index = 0; index < flips; index++) {
    state = (state * 1103515245 + 12345) >>> 0
    const at = state % copy.length
    copy[at] = (copy[at] ?? 0) ^ (1 + ((state >>> 24) % 255))
  }
  return copy
}

function truncations(bytes: Uint8Array, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, index) =>
    bytes.subarray(0, Math.floor((bytes.length * index) / count)),
  )
}

/** A PNG whose header declares width×height over a few bytes of data. */
function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr.set([8, 0, 0, 0, 0], 8)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(Math.min(width, 1 << 16) + 1))),
    pngChunk('IEND', Buffer.alloc(0)),
  ])
}

/** A baseline JPEG whose frame header is patched to declare width×height. */
function jpegDeclaring(jpeg: Buffer, width: number, height: number): Buffer {
  const copy = Buffer.from(jpeg)
  for (let at = 2; at < copy.length - 9; at++) {
    if (copy[at] === 0xff && (copy[at + 1] === 0xc0 || copy[at + 1] === 0xc2)) {
      copy.writeUInt16BE(height, at + 5)
      copy.writeUInt16BE(width, at + 7)
      return copy
    }
  }
  throw new Error('no frame header')
}

const documentOk = (value: unknown) =>
  !!value && typeof value === 'object' && 'layers' in value && 'documentId' in value
const imageOk = (value: unknown) =>
  !!value && typeof value === 'object' && 'width' in value && 'data' in value

let decoder: DocumentDecoderClient
let route: Route<SenderFrame | null>
let saveFolder: string
let modelsDir: string
let smallPng: Buffer
let smallJpeg: Buffer

beforeAll(async () => {
  const settings = await SettingsStore.open(join(work, 'config'))
  modelsDir = join(work, 'models')
  mkdirSync(modelsDir)
  saveFolder = join(work, 'saved')
  mkdirSync(saveFolder)
  decoder = new DocumentDecoderClient(nodeDecoderLauncher<ToDecoder>())
  const documents = createDocumentService({
    recoveryDirectory: join(work, 'recovery'),
    dialogs: folderDialogs(saveFolder),
    decoder,
  })
  const services = createServices({
    mode: 'desktop',
    version: '0.0.0',
    settings,
    // No job may reach a host: every submit in this suite must be refused before one is needed.
    host: new InferenceHostClient(() => {
      throw new Error('no inference host in the hostile suite')
    }),
    models: createNodeModelRegistry(() => modelsDir),
    emit: () => undefined,
    documents: documents.forClient('hostile'),
  })
  route = createRouter(services.handlers, isAppSender)
  smallPng = await sharp(Buffer.from(noise(16 * 12 * 4, 9)), {
    raw: { width: 16, height: 12, channels: 4 },
  })
    .png()
    .toBuffer()
  smallJpeg = await sharp(Buffer.from(noise(64 * 48 * 3, 5)), {
    raw: { width: 64, height: 48, channels: 3 },
  })
    .jpeg()
    .toBuffer()
}, 60_000)

afterAll(() => {
  decoder.dispose()
  rmSync(work, { recursive: true, force: true })
})

/** The app still opens a good file after the class's hostile ones. */
async function stillOpensFiles(): Promise<void> {
  const ping = await route('app.ping', { sentAt: 1 }, appFrame)
  expect(ping).toMatchObject({ ok: true })
  const opened = (await route(
    'documents.openFile',
    { fileName: 'good.glide', bytes: await writeProjectFile(sampleProject()) },
    appFrame,
  )) as { ok: boolean; value?: ProjectData }
  expect(opened.ok).toBe(true)
  expect(opened.value?.layers.length).toBe(sampleProject().layers.length)
}

/** A project zip with this manifest (any JSON value, or raw text) and these entries. */
function glideFrom(
  manifest: unknown,
  entries: { name: string; data: Uint8Array }[] = [],
  rawManifest?: Buffer,
): Uint8Array {
  return writeZip([
    {
      name: 'manifest.json',
      data: rawManifest ?? Buffer.from(JSON.stringify(manifest)),
      method: 'deflate',
    },
    ...entries.map((entry) => ({ ...entry, method: 'stored' as const })),
  ])
}

describe('hostile inputs', () => {
  it('projects (.glide): bombs, shared entries, bad manifests, damaged zips', async () => {
    const openFile = (name: string, bytes: Uint8Array, accept?: (value: unknown) => boolean) =>
      viaRouter('projects', name, 'documents.openFile', { fileName: name, bytes }, accept)
    await openFile('256 layers on one 8192² PNG', glideBomb(256, true))
    await openFile('12 layers on one 8192² PNG', glideBomb(12, true))
    await openFile('9 distinct 8192² layers', glideBomb(9, false))

    const layerPng = await sharp(Buffer.from(noise(4 * 4 * 4, 1)), {
      raw: { width: 4, height: 4, channels: 4 },
    })
      .png()
      .toBuffer()
    const maskPng = await sharp(Buffer.alloc(16, 255), {
      raw: { width: 4, height: 4, channels: 1 },
    })
      .png()
      .toBuffer()
    const goodManifest = () => ({
      format: projectFormat,
      documentId: 'doc-h',
      title: 'hostile',
      width: 8,
      height: 8,
      frame: { x: 0, y: 0, width: 8, height: 8 },
      savedAt: '2026-01-01T00:00:00.000Z',
      layers: [
        {
          id: 'a',
          name: 'A',
          visible: true,
          opacity: 1,
          locked: false,
          image: { file: 'layers/a.png', bounds: { x: 0, y: 0, width: 4, height: 4 } },
        },
        {
          id: 'b',
          name: 'B',
          visible: true,
          opacity: 1,
          locked: false,
          image: { file: 'layers/b.png', bounds: { x: 4, y: 4, width: 4, height: 4 } },
        },
      ],
      mask: { file: 'mask.png', bounds: { x: 0, y: 0, width: 4, height: 4 } },
    })
    const goodEntries = () => [
      { name: 'layers/a.png', data: layerPng },
      { name: 'layers/b.png', data: layerPng },
      { name: 'mask.png', data: maskPng },
    ]
    // The untouched file opens: the mutations below are what breaks it.
    await openFile('the well-formed baseline', glideFrom(goodManifest(), goodEntries()), documentOk)

    type Manifest = ReturnType<typeof goodManifest> & Record<string, unknown>
    type Layer = Manifest['layers'][number] & Record<string, unknown>
    const layer = (m: Manifest, index = 0) => m.layers[index] as Layer
    const mutations: [string, (m: Manifest) => unknown][] = [
      ['wrong format', (m) => ((m.format = 'glide-studio/project@9'), m)],
      ['documentId with a path', (m) => ((m.documentId = '../../x'), m)],
      ['10k-character title', (m) => ((m.title = 'x'.repeat(10_000)), m)],
      ['width 0', (m) => ((m.width = 0), m)],
      ['width 9000', (m) => ((m.width = 9000), m)],
      ['width as text', (m) => ({ ...m, width: '8' })],
      ['height negative', (m) => ((m.height = -1), m)],
      ['no frame', (m) => ({ ...m, frame: undefined })],
      ['an extra key', (m) => ({ ...m, extra: true })],
      ['layers not a list', (m) => ({ ...m, layers: {} })],
      [
        '257 layers',
        (m) => ({
          ...m,
          layers: Array.from({ length: 257 }, (_, i) => ({
            ...layer(m),
            id: `l${i}`,
            image: null,
          })),
        }),
      ],
      ['repeated layer ids', (m) => ((layer(m, 1).id = 'a'), m)],
      ['layer id with a slash', (m) => ((layer(m).id = 'a/b'), m)],
      ['300-character layer name', (m) => ((layer(m).name = 'n'.repeat(300)), m)],
      ['opacity 2', (m) => ((layer(m).opacity = 2), m)],
      ['opacity null', (m) => ((layer(m).opacity = null as never), m)],
      ['visible as text', (m) => ((layer(m).visible = 'yes' as never), m)],
      [
        'layer file outside layers/',
        (m) => ((layer(m).image = { ...layer(m).image, file: '../../etc/passwd' }), m),
      ],
      [
        'layer file not in the zip',
        (m) => ((layer(m).image = { ...layer(m).image, file: 'layers/zz.png' }), m),
      ],
      [
        'two layers on one entry',
        (m) => ((layer(m, 1).image = { ...layer(m, 1).image, file: 'layers/a.png' }), m),
      ],
      [
        'bounds past the canvas',
        (m) => (
          (layer(m).image = { file: 'layers/a.png', bounds: { x: 6, y: 6, width: 4, height: 4 } }),
          m
        ),
      ],
      [
        'negative bounds',
        (m) => (
          (layer(m).image = { file: 'layers/a.png', bounds: { x: -2, y: 0, width: 4, height: 4 } }),
          m
        ),
      ],
      [
        'zero-width bounds',
        (m) => (
          (layer(m).image = { file: 'layers/a.png', bounds: { x: 0, y: 0, width: 0, height: 4 } }),
          m
        ),
      ],
      [
        'bounds that disagree with the PNG',
        (m) => (
          (layer(m).image = { file: 'layers/a.png', bounds: { x: 0, y: 0, width: 3, height: 4 } }),
          m
        ),
      ],
      ['mask under another name', (m) => ({ ...m, mask: { ...m.mask, file: 'other.png' } })],
      [
        'mask bounds that disagree with its PNG',
        (m) => ({ ...m, mask: { file: 'mask.png', bounds: { x: 0, y: 0, width: 8, height: 8 } } }),
      ],
      ['a garbage generation record', (m) => ((layer(m).generation = { prompt: 5 }), m)],
      ['a 1000-character savedAt', (m) => ((m.savedAt = 's'.repeat(1000)), m)],
      ['null', () => null],
      ['a list', () => []],
      ['a string', () => 'manifest'],
      ['a number', () => 42],
      [
        'a prototype key',
        (m) => JSON.parse(JSON.stringify(m).replace('"title"', '"__proto__":{"x":1},"title"')),
      ],
    ]
    for (const [name, mutate] of mutations) {
      await openFile(
        `manifest: ${name}`,
        glideFrom(mutate(goodManifest() as Manifest), goodEntries()),
      )
    }
    const rawManifests: [string, Buffer][] = [
      ['not JSON', Buffer.from('{"format": ')],
      ['empty', Buffer.alloc(0)],
      ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x7b, 0x7d])],
      ['5 MiB of spaces', Buffer.alloc(5 << 20, 0x20)],
      ['nested 100k deep', Buffer.from('['.repeat(100_000) + ']'.repeat(100_000))],
    ]
    for (const [name, raw] of rawManifests) {
      await openFile(`manifest: ${name}`, glideFrom(null, goodEntries(), raw))
    }
    const entryProblems: [string, { name: string; data: Uint8Array }[]][] = [
      [
        'layer PNG is text',
        [{ name: 'layers/a.png', data: Buffer.from('not a png') }, ...goodEntries().slice(1)],
      ],
      [
        'layer PNG is a JPEG',
        [{ name: 'layers/a.png', data: smallJpeg }, ...goodEntries().slice(1)],
      ],
      [
        'layer PNG cut short',
        [{ name: 'layers/a.png', data: layerPng.subarray(0, 40) }, ...goodEntries().slice(1)],
      ],
      [
        'layer PNG declares 30000²',
        [{ name: 'layers/a.png', data: pngDeclaring(30000, 30000) }, ...goodEntries().slice(1)],
      ],
      ['mask PNG missing', goodEntries().slice(0, 2)],
    ]
    for (const [name, entries] of entryProblems) {
      await openFile(`entries: ${name}`, glideFrom(goodManifest(), entries))
    }
    await openFile(
      'no manifest',
      writeZip([{ name: 'layers/a.png', data: layerPng, method: 'stored' }]),
    )
    await openFile(
      '601 entries',
      writeZip([
        {
          name: 'manifest.json',
          data: Buffer.from(JSON.stringify(goodManifest())),
          method: 'deflate',
        },
        ...Array.from({ length: 601 }, (_, i) => ({
          name: `x/${i}`,
          data: Buffer.from('x'),
          method: 'stored' as const,
        })),
      ]),
    )
    await openFile('empty file', new Uint8Array(0), documentOk)
    await openFile('one byte', new Uint8Array([0x50]))
    await openFile('zip magic only', Buffer.from('PK\x03\x04'))
    await openFile('text named .glide', Buffer.from('hello'))
    const good = await writeProjectFile(sampleProject())
    for (const [index, cut] of truncations(good, 12).entries()) {
      await openFile(`cut to ${index}/12`, cut)
    }
    for (let seed = 1; seed <= 25; seed++) {
      // A flip inside pixel data may still decode: a valid document is fine, anything else typed.
      await openFile(`bytes flipped (seed ${seed})`, flipped(good, seed, 4), documentOk)
    }
    // Through the desktop Open dialog's path (read where it lies, in the decoder).
    const onDisk = join(work, 'bomb.glide')
    writeFileSync(onDisk, glideBomb(256, true))
    await viaCall('projects', 'a bomb opened from disk', () =>
      decoder.readProjectFile(onDisk, 'bomb.glide'),
    )
    await viaCall('projects', 'a missing file', () =>
      decoder.readProjectFile(join(work, 'nope.glide'), 'nope.glide'),
    )
    expect(mishandled('projects')).toEqual([])
    await stillOpensFiles()
  }, 60_000)

  it('OpenRaster: bombs, bad stacks, bad attributes, damaged zips', async () => {
    const openOra = (name: string, bytes: Uint8Array, accept?: (value: unknown) => boolean) =>
      viaRouter(
        'openraster',
        name,
        'documents.openFile',
        { fileName: `${name}.ora`, bytes },
        accept,
      )
    const png = smallPng
    const stack = (attributes: string, canvas = 'w="32" h="32"') =>
      `<?xml version="1.0"?><image ${canvas}><stack><layer name="L" src="data/a.png" ${attributes} /></stack></image>`
    const entries = [{ name: 'data/a.png', data: png }]
    await openOra('baseline', oraFile(stack('x="0" y="0"'), entries), documentOk)
    await openOra('12 layers on one 8192² PNG', oraBomb(12, true))
    await openOra('12 distinct 8192² layers', oraBomb(12, false))
    await openOra('mimetype image/png', oraFile(stack(''), entries, 'image/png'))
    await openOra(
      'no mimetype',
      writeZip([{ name: 'stack.xml', data: Buffer.from(stack('')), method: 'deflate' }]),
    )
    await openOra(
      'no stack.xml',
      writeZip([{ name: 'mimetype', data: Buffer.from('image/openraster'), method: 'stored' }]),
    )
    for (const canvas of [
      'w="0" h="8"',
      'w="-5" h="8"',
      'w="1e9" h="8"',
      'w="abc" h="8"',
      'w="" h="8"',
      'w="8193" h="8"',
      'w="3.5" h="8"',
      'h="8"',
      '',
    ]) {
      await openOra(`canvas ${canvas || 'missing'}`, oraFile(stack('', canvas), entries))
    }
    await openOra(
      'nested stacks',
      oraFile(
        '<image w="8" h="8"><stack><stack><layer src="data/a.png"/></stack></stack></image>',
        entries,
      ),
    )
    await openOra(
      '257 layers',
      oraFile(
        `<image w="8" h="8"><stack>${Array.from({ length: 257 }, (_, i) => `<layer src="data/${i}.png"/>`).join('')}</stack></image>`,
        Array.from({ length: 257 }, (_, i) => ({ name: `data/${i}.png`, data: png })),
      ),
    )
    for (const source of [
      '',
      'data/none.png',
      '../../etc/passwd',
      'stack.xml',
      'mimetype',
      'data/a.png/',
    ]) {
      await openOra(
        `layer src "${source}"`,
        oraFile(`<image w="8" h="8"><stack><layer src="${source}"/></stack></image>`, entries),
      )
    }
    await openOra(
      'layer without src',
      oraFile('<image w="8" h="8"><stack><layer/></stack></image>', entries),
    )
    for (const position of [
      'x="1e400"',
      'x="NaN"',
      'x="-999999"',
      'y="0.5"',
      'x="Infinity"',
      'y="99999999"',
    ]) {
      await openOra(`position ${position}`, oraFile(stack(position), entries))
    }
    // Odd but legal attributes: opened with sane values.
    for (const odd of [
      'opacity="NaN"',
      'opacity="-3"',
      'opacity="abc"',
      'visibility="maybe"',
      'name="&#99999999;"',
      'name="&#0;&lt;&amp;"',
      `name="${'n'.repeat(10_000)}"`,
      'x=""',
    ]) {
      await openOra(`attribute ${odd.slice(0, 40)}`, oraFile(stack(odd), entries), documentOk)
    }
    const layerProblems: [string, Uint8Array][] = [
      ['text', Buffer.from('not a png')],
      ['a JPEG', smallJpeg],
      ['cut short', png.subarray(0, 30)],
      ['declaring 30000²', pngDeclaring(30000, 30000)],
    ]
    for (const [name, data] of layerProblems) {
      await openOra(`layer PNG ${name}`, oraFile(stack(''), [{ name: 'data/a.png', data }]))
    }
    await openOra(
      '5 MiB stack.xml',
      oraFile(`<image w="8" h="8"><stack>${' '.repeat(5 << 20)}</stack></image>`, entries),
    )
    await openOra('no stack at all', oraFile('<image w="8" h="8"></image>', entries), documentOk)
    await openOra('not a zip', Buffer.from('hello'))
    const good = await writeOpenRaster(sampleProject())
    for (const [index, cut] of truncations(good, 12).entries()) {
      await openOra(`cut to ${index}/12`, cut)
    }
    for (let seed = 1; seed <= 25; seed++) {
      await openOra(`bytes flipped (seed ${seed})`, flipped(good, seed, 4), documentOk)
    }
    expect(mishandled('openraster')).toEqual([])
    await stillOpensFiles()
  }, 60_000)

  it('images: corrupt, truncated, huge dimensions, SVG and other formats', async () => {
    const both = async (
      name: string,
      bytes: Uint8Array,
      fileName: string,
      accept?: (value: unknown) => boolean,
    ) => {
      await viaRouter(
        'images',
        `${name} (decodeImage)`,
        'documents.decodeImage',
        { fileName, bytes },
        accept && imageOk,
      )
      await viaRouter(
        'images',
        `${name} (openFile)`,
        'documents.openFile',
        { fileName, bytes },
        accept && documentOk,
      )
    }
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>')
    await both('SVG', svg, 'vector.svg')
    await both('SVG named .png', svg, 'vector.png')
    await both('BMP', Buffer.concat([Buffer.from('BM'), Buffer.alloc(60)]), 'old.bmp')
    await both('text named .jpg', Buffer.from('hello, I am not a picture'), 'notes.jpg')
    await both('empty', new Uint8Array(0), 'empty.png')
    await both('one byte', new Uint8Array([0x89]), 'one.png')
    await both(
      'PNG signature then garbage',
      Buffer.concat([smallPng.subarray(0, 8), Buffer.alloc(200, 7)]),
      'x.png',
    )
    await both('PNG declaring 30000²', pngDeclaring(30000, 30000), 'huge.png')
    await both('PNG declaring 9000×10', pngDeclaring(9000, 10), 'wide.png')
    await both('PNG declaring 1×70000', pngDeclaring(1, 70000), 'tall.png')
    await both('PNG declaring 0×0', pngDeclaring(0, 0), 'none.png')
    await both('1-bit PNG of 8193×1', bombPng(8193, 1), 'over.png')
    await both('JPEG declaring 65000²', jpegDeclaring(smallJpeg, 65000, 65000), 'huge.jpg')
    await both('JPEG declaring 0 wide', jpegDeclaring(smallJpeg, 0, 48), 'zero.jpg')
    const formats: [string, Buffer][] = [
      ['PNG', smallPng],
      ['JPEG', smallJpeg],
      ['WebP', await sharp(smallPng).webp().toBuffer()],
      ['GIF', await sharp(smallPng).gif().toBuffer()],
      ['TIFF', await sharp(smallPng).tiff().toBuffer()],
    ]
    for (const [format, bytes] of formats) {
      for (const fraction of [0.1, 0.5, 0.9]) {
        await both(
          `${format} cut to ${fraction * 100} %`,
          bytes.subarray(0, Math.floor(bytes.length * fraction)),
          `cut.${format.toLowerCase()}`,
        )
      }
      for (let seed = 1; seed <= 4; seed++) {
        await both(
          `${format} with flipped bytes (seed ${seed})`,
          flipped(bytes, seed, 3),
          `flip.${format.toLowerCase()}`,
          imageOk,
        )
      }
    }
    expect(mishandled('images')).toEqual([])
    // The decoder still decodes a good picture afterwards.
    const image = await decoder.decodeImage(smallPng, 'good.png')
    expect([image.width, image.height]).toEqual([16, 12])
  }, 60_000)

  it('IPC payloads: malformed, oversized and wrong types on every channel; zero-step respacings', async () => {
    const malformed: [string, unknown][] = [
      ['undefined', undefined],
      ['null', null],
      ['a number', 42],
      ['a string', 'input'],
      ['a list', []],
      ['true', true],
      ['an unknown key', { unexpected: 1 }],
      ['a prototype key', JSON.parse('{"__proto__":{"polluted":true}}')],
      ['nested 2000 deep', JSON.parse('{"a":'.repeat(2000) + '1' + '}'.repeat(2000))],
      ['a 1 MB string', { prompt: 'x'.repeat(1 << 20), fileName: 'x'.repeat(1 << 20) }],
    ]
    const emptyInputOk = new Set([
      'app.info',
      'models.list',
      'settings.get',
      'settings.update',
      'settings.chooseModelsDir',
      'jobs.cancelAll',
      'jobs.list',
      'results.list',
      'documents.openImage',
      'documents.openProject',
      'documents.listRecoveries',
    ])
    for (const channel of requestChannels) {
      for (const [name, input] of malformed) {
        // Channels without input take only {}: an unknown key is refused there too.
        await viaRouter('ipc', `${channel} with ${name}`, channel, input)
      }
      await fc.assert(
        fc.asyncProperty(fc.anything({ maxDepth: 3 }), async (input) => {
          const empty = emptyInputOk.has(channel) && JSON.stringify(input) === '{}'
          await viaRouter(
            'ipc',
            `${channel} with ${JSON.stringify(input)?.slice(0, 60)}`,
            channel,
            input,
            () => empty,
          )
        }),
        { numRuns: 6, seed: channel.length },
      )
      // From a page that is not the app's.
      await viaRouter('ipc', `${channel} from a foreign frame`, channel, {}, () => false, {
        url: 'https://evil.example/',
        parent: null,
      })
    }
    for (const channel of ['', 'nope', '__proto__', 'constructor', 'app.ping.x', 42, null]) {
      await viaRouter('ipc', `unknown channel ${String(channel)}`, channel, {})
    }
    const settings = {
      prompt: 'a corgi',
      guidanceScale: 3,
      baseRespacing: '100',
      upsampleRespacing: 'fast27',
      upsampleTemperature: 0.997,
      seed: 1,
      batchSize: 1,
    }
    for (const [field, value] of [
      ['baseRespacing', '0'],
      ['baseRespacing', '0,0,0'],
      ['upsampleRespacing', '0'],
      ['upsampleRespacing', '0,0,0'],
      ['baseRespacing', 'ddim0'],
      ['guidanceScale', Number.NaN],
      ['seed', -1],
      ['batchSize', 1e9],
      ['prompt', 'x'.repeat(100_000)],
    ] as const) {
      const result = (await route(
        'jobs.submit',
        { kind: 'generate', settings: { ...settings, [field]: value } },
        appFrame,
      )) as {
        ok: boolean
        error?: { code: string; message: string }
      }
      const refusedReadably =
        !result.ok &&
        result.error?.code === 'INVALID_PAYLOAD' &&
        (!String(value).startsWith('0') ||
          /Steps must be a whole number from 1/.test(result.error.message))
      record(
        'ipc',
        `jobs.submit ${field} ${String(value).slice(0, 20)}`,
        refusedReadably ? null : JSON.stringify(result).slice(0, 300),
      )
    }
    const oversized = new Uint8Array(128 * 1024 * 1024 + 1)
    await viaRouter('ipc', 'decodeImage of 128 MiB + 1', 'documents.decodeImage', {
      fileName: 'big.png',
      bytes: oversized,
    })
    await viaRouter('ipc', 'openFile of 128 MiB + 1', 'documents.openFile', {
      fileName: 'big.glide',
      bytes: oversized,
    })
    expect(mishandled('ipc')).toEqual([])
    expect(await route('app.ping', { sentAt: 2 }, appFrame)).toMatchObject({
      ok: true,
      value: { sentAt: 2 },
    })
  }, 60_000)

  it('browser-mode server: token, Host, Origin, traversal, redirects, WebSocket frames', async () => {
    const staticDir = join(work, 'static')
    mkdirSync(join(staticDir, 'assets'), { recursive: true })
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Glide Studio</title>')
    writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log(1)')
    writeFileSync(join(work, 'secret.txt'), 'secret')
    const server: BrowserServer = await startBrowserServer({
      handlers: routeHandlers(),
      staticDir,
    })
    const other: BrowserServer = await startBrowserServer({ handlers: routeHandlers(), staticDir })
    try {
      const cookie = `${sessionCookieName(server.port)}=${server.token}`
      const http = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
        new Promise<{ status: number; location?: string; body: string }>((resolve, reject) => {
          const req = request(
            {
              host: '127.0.0.1',
              port: server.port,
              path,
              method,
              headers: { host: `127.0.0.1:${server.port}`, ...headers },
            },
            (res) => {
              let body = ''
              res.on('data', (chunk: Buffer) => (body += chunk.toString()))
              res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }),
              )
            },
          )
          req.on('error', reject)
          req.end()
        })
      const refused = async (
        name: string,
        path: string,
        headers?: Record<string, string>,
        method?: string,
      ) => {
        const reply = await http(path, headers, method)
        const problem =
          [403, 404, 405].includes(reply.status) && !reply.body.includes('secret')
            ? null
            : `answered ${reply.status}`
        record('browser server', name, problem)
      }
      await refused('no token', '/')
      await refused('no token for an asset', '/assets/app.js')
      await refused('a wrong token', '/?token=wrong')
      await refused('a token one character short', `/?token=${server.token.slice(1)}`)
      await refused('a wrong cookie', '/', { cookie: `${sessionCookieName(server.port)}=wrong` })
      await refused("the other server's cookie", '/', {
        cookie: `${sessionCookieName(other.port)}=${other.token}`,
      })
      await refused('the right token under an unported name', '/', {
        cookie: `glide_session=${server.token}`,
      })
      for (const host of [
        'evil.example',
        `evil.example:${server.port}`,
        `127.0.0.1:${other.port}`,
        `localhost.evil.example:${server.port}`,
      ]) {
        await refused(`Host "${host}"`, '/', { cookie, host })
      }
      // HTTP/1.0 without any Host header (Node's client always adds one, so a raw socket).
      const noHost = await new Promise<string>((resolve, reject) => {
        const socket = connectSocket(server.port, '127.0.0.1', () =>
          socket.end(`GET / HTTP/1.0\r\nCookie: ${cookie}\r\n\r\n`),
        )
        let text = ''
        socket.on('data', (chunk: Buffer) => (text += chunk.toString()))
        socket.on('end', () => resolve(text))
        socket.on('error', reject)
      })
      record(
        'browser server',
        'no Host header',
        /^HTTP\/1\.[01] 403/.test(noHost) ? null : (noHost.split('\r\n')[0] ?? ''),
      )
      for (const origin of [
        'http://evil.example',
        'null',
        `http://127.0.0.1:${other.port}`,
        `https://127.0.0.1:${server.port}`,
      ]) {
        await refused(`Origin "${origin}"`, '/', { cookie, origin })
      }
      for (const method of ['POST', 'PUT', 'DELETE'])
        await refused(`method ${method}`, '/', { cookie }, method)
      for (const path of [
        '/../secret.txt',
        '/%2e%2e/secret.txt',
        '/assets/..%2f..%2f..%2fsecret.txt',
        '/%00',
        '/assets/%2e%2e%5c%2e%2e%5csecret.txt',
        '/..\\..\\secret.txt',
        '//etc/passwd',
        '/assets/../../secret.txt',
      ]) {
        await refused(`traversal ${path}`, path, { cookie })
      }
      for (const path of [
        '/.//evil.com/',
        '//evil.com/',
        '/\\evil.com/',
        '/\\/evil.com',
        '/./\\evil.com',
        '/%2f%2fevil.com',
      ]) {
        const reply = await http(`${path}?token=${server.token}`)
        const location = reply.location ?? ''
        record(
          'browser server',
          `redirect from ${path}`,
          reply.status === 303 && /^\/(?![/\\])/.test(location) ? null : `Location ${location}`,
        )
      }
      record(
        'browser server',
        'cookie names differ per port',
        sessionCookieName(server.port) !== sessionCookieName(other.port) ? null : 'same name',
      )

      const origin = `http://127.0.0.1:${server.port}`
      const connect = (headers: Record<string, string>, query = '', path = '/ws') =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}${query}`, { headers })
          ws.once('open', () => resolve(ws))
          ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
          ws.once('error', reject)
        })
      for (const [name, headers, query, path] of [
        ['no token', { origin }, '', '/ws'],
        ['foreign Origin', { origin: 'http://evil.example', cookie }, '', '/ws'],
        ['no Origin', { cookie }, '', '/ws'],
        ['foreign Host', { origin, cookie, host: 'evil.example' }, '', '/ws'],
        ['a wrong query token', { origin }, '?token=wrong', '/ws'],
        ['another path', { origin, cookie }, '', '/ws2'],
      ] as const) {
        const outcome = await connect(headers, query, path).then(
          (ws) => (ws.close(), 'connected'),
          (error: Error) => error.message,
        )
        record('browser server', `WebSocket with ${name}`, outcome.includes('403') ? null : outcome)
      }
      const ws = await connect({ origin, cookie })
      const next = () =>
        new Promise<{
          id: number
          result: { ok: boolean; error?: { code: string; message: string } }
        }>((resolve) => ws.once('message', (data: Buffer) => resolve(decodeWire(data) as never)))
      const framed = (header: string, extra = Buffer.alloc(0)) => {
        const body = Buffer.from(header, 'utf8')
        const frame = Buffer.alloc(4 + body.length)
        frame.writeUInt32LE(body.length, 0)
        body.copy(frame, 4)
        return Buffer.concat([frame, extra])
      }
      const badFrames: [string, Uint8Array | string][] = [
        ['text', 'not json'],
        ['a text request', JSON.stringify({ id: 2, channel: 'app.ping', input: { sentAt: 1 } })],
        ['two bytes', Buffer.from([1, 2])],
        ['a header length past the frame', Buffer.from([0xff, 0xff, 0xff, 0x7f, 0x7b])],
        ['a header that is not JSON', framed('{{{')],
        ['a blob index out of range', framed('{"value":{"$bytes":5},"blobs":[]}')],
        ['a blob past the frame', framed('{"value":{"id":1},"blobs":[9]}')],
        [
          'a blob used twice',
          framed('{"value":[{"$bytes":0},{"$bytes":0}],"blobs":[1]}', Buffer.from([1])),
        ],
        ['bytes after the blobs', framed('{"value":{"id":1},"blobs":[]}', Buffer.from([1, 2, 3]))],
        ['nesting 100 deep', framed(`{"value":${'['.repeat(100)}${']'.repeat(100)},"blobs":[]}`)],
        [
          'a prototype key',
          framed(
            '{"value":{"__proto__":{"id":1},"id":1,"channel":"app.ping","input":{"sentAt":1}},"blobs":[]}',
          ),
        ],
        ['an unknown channel', encodeWire({ id: 4, channel: 'nope', input: {} })],
        ['a wrong input', encodeWire({ id: 5, channel: 'app.ping', input: { sentAt: 'soon' } })],
        ['a negative id', encodeWire({ id: -1, channel: 'app.ping', input: { sentAt: 1 } })],
        [
          'a bomb to open',
          encodeWire({
            id: 6,
            channel: 'documents.openFile',
            input: { fileName: 'b.glide', bytes: glideBomb(12, true) },
          }),
        ],
      ]
      for (const [name, frame] of badFrames) {
        ws.send(frame)
        const reply = await next()
        record(
          'browser server',
          `frame: ${name}`,
          reply.result.ok
            ? 'accepted'
            : typedProblem(reply.result.error?.code, reply.result.error?.message),
        )
      }
      ws.send(encodeWire({ id: 7, channel: 'app.ping', input: { sentAt: 9 } }))
      expect(await next()).toMatchObject({ id: 7, result: { ok: true, value: { sentAt: 9 } } })
      ws.close()
      expect((await http('/', { cookie })).status).toBe(200)
    } finally {
      await server.close()
      await other.close()
    }
    record(
      'browser server',
      'redirectRefusal https→http',
      redirectRefusal(new URL('https://a.example/x'), new URL('http://a.example/x'), [
        'https://a.example',
        'http://a.example',
      ])
        ? null
        : 'allowed',
    )
    expect(mishandled('browser server')).toEqual([])
  }, 60_000)

  it('model folders: odd model.json files never hide the others', async () => {
    const good = baseManifest({ id: 'good' })
    const goodDir = join(modelsDir, 'good')
    mkdirSync(goodDir)
    for (const file of Object.values(good.files)) writeFileSync(join(goodDir, file), 'onnx')
    await writeManifest(goodDir, good)
    const odd: [string, string | null][] = [
      ['not-json', '{"format":'],
      ['empty', ''],
      ['null', 'null'],
      ['list', '[]'],
      ['deep', '['.repeat(100_000) + ']'.repeat(100_000)],
      ['big', JSON.stringify({ pad: 'x'.repeat(10 << 20) })],
      [
        'image-5000',
        JSON.stringify({
          ...baseManifest({ id: 'image-5000' }),
          options: { ...good.options, image_size: 5000 },
        }),
      ],
      ['id-mismatch', JSON.stringify(baseManifest({ id: 'someone-else' }))],
      [
        'escape',
        JSON.stringify({
          ...baseManifest({ id: 'escape' }),
          files: { ...good.files, unet: '../../../etc/passwd' },
        }),
      ],
      ['kind-weird', JSON.stringify({ ...baseManifest({ id: 'kind-weird' }), kind: 'weird' })],
      ['no-options', JSON.stringify({ ...baseManifest({ id: 'no-options' }), options: undefined })],
      [
        'proto',
        JSON.stringify(baseManifest({ id: 'proto' })).replace('{', '{"__proto__":{"kind":"base"},'),
      ],
      ['missing-manifest', null],
    ]
    for (const [id, text] of odd) {
      const dir = join(modelsDir, id)
      mkdirSync(dir)
      if (text !== null) writeFileSync(join(dir, 'model.json'), text)
    }
    mkdirSync(join(modelsDir, 'manifest-dir', 'model.json'), { recursive: true })
    mkdirSync(join(modelsDir, 'linked'))
    symlinkSync('/etc/hostname', join(modelsDir, 'linked', 'model.json'))
    writeFileSync(join(modelsDir, 'a-file-not-a-folder'), 'x')
    const ids = [...odd.map(([id]) => id), 'manifest-dir', 'linked']
    const listed = (await route('models.list', {}, appFrame)) as {
      ok: boolean
      value?: { models: { id: string; problem?: string }[] }
      error?: unknown
    }
    expect(listed.ok).toBe(true)
    const summaries = listed.value?.models ?? []
    expect(summaries.find((summary) => summary.id === 'good')?.problem).toBeUndefined()
    for (const id of ids) {
      const entry = summaries.find((summary) => summary.id === id)
      record('model folders', id, entry?.problem ? null : entry ? 'listed as usable' : 'not listed')
    }
    expect(mishandled('model folders')).toEqual([])
  }, 60_000)

  it('downloads: bad redirects, oversize files, bad hashes, dead hosts', async () => {
    const payload = Buffer.alloc(50_000, 7)
    const server: Server = createServer((req, res) => {
      const path = req.url ?? '/'
      const hop = /^\/hop(\d+)$/.exec(path)
      if (hop) {
        const left = Number(hop[1])
        res.writeHead(302, { location: left > 0 ? `/hop${left - 1}` : '/file.bin' })
        res.end()
        return
      }
      if (path === '/away') {
        res.writeHead(302, { location: 'http://127.0.0.2:9/file.bin' })
        res.end()
        return
      }
      if (path === '/ftp') {
        res.writeHead(301, { location: 'ftp://127.0.0.1/file.bin' })
        res.end()
        return
      }
      if (path === '/no-location') {
        res.writeHead(302)
        res.end()
        return
      }
      if (path === '/js') {
        res.writeHead(302, { location: 'javascript:alert(1)' })
        res.end()
        return
      }
      if (path === '/unsized') {
        res.writeHead(200)
        res.end(payload)
        return
      }
      if (path === '/error') {
        res.writeHead(500)
        res.end('boom')
        return
      }
      if (path === '/lying-length') {
        res.writeHead(200, { 'content-length': payload.length * 2 })
        res.write(payload)
        setTimeout(() => res.socket?.destroy(), 10)
        return
      }
      if (path === '/file.bin') {
        res.writeHead(200, { 'content-length': payload.length })
        res.end(payload)
        return
      }
      res.writeHead(404)
      res.end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const dead = createServer()
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve))
    const deadPort = (dead.address() as AddressInfo).port
    await new Promise<void>((resolve) => dead.close(() => resolve()))
    try {
      const cases: [string, string, Parameters<typeof downloadFile>[2]][] = [
        ['a redirect to another host', `${base}/away`, {}],
        ['six redirects', `${base}/hop6`, {}],
        ['a redirect to ftp', `${base}/ftp`, {}],
        ['a redirect without a Location', `${base}/no-location`, {}],
        ['a redirect to javascript:', `${base}/js`, {}],
        ['a declared size over the cap', `${base}/file.bin`, { maxBytes: 1000 }],
        ['an unstated size past the cap', `${base}/unsized`, { maxBytes: 1000 }],
        ['a wrong hash', `${base}/file.bin`, { expectedSha256: 'b'.repeat(64) }],
        ['404', `${base}/missing`, {}],
        ['500', `${base}/error`, {}],
        ['a body shorter than its length', `${base}/lying-length`, { idleTimeoutMs: 2000 }],
        ['a dead port', `http://127.0.0.1:${deadPort}/file.bin`, {}],
        ['a file: URL', 'file:///etc/passwd', {}],
        ['not a URL', 'not a url', {}],
      ]
      for (const [name, url, options] of cases) {
        const dest = join(work, `download-${name.replace(/\W+/g, '-')}.bin`)
        await viaCall('downloads', name, () => downloadFile(url, dest, options))
        // A refused download leaves no finished file; only a dropped connection keeps its .part.
        if (existsSync(dest)) record('downloads', `${name}: nothing left`, 'the file is there')
      }
      const ok = await downloadFile(`${base}/hop2`, join(work, 'fine.bin'))
      expect(ok.bytes).toBe(payload.length)
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
    expect(mishandled('downloads')).toEqual([])
  }, 60_000)

  it('names: long, reserved and odd titles save under safe names; a 255-byte name writes', async () => {
    const titles = [
      'CON',
      'nul',
      'Com1',
      'LPT9.draft',
      'aux ',
      'con.tar',
      '<>:"/\\|?*',
      '../../etc/passwd',
      'a\u0000b\u001fc',
      'trailing dots...',
      '   ',
      '',
      '😀'.repeat(200),
      'é'.repeat(200),
      'x'.repeat(200),
      '\u202eevil.exe',
    ]
    for (const title of titles) {
      const project = { ...sampleProject(), title }
      const before = new Set(readdirSync(saveFolder))
      const saved = (await route('documents.saveProject', { project, saveAs: true }, appFrame)) as {
        ok: boolean
        value?: { fileName: string }
        error?: { code: string; message: string }
      }
      if (!saved.ok) {
        record(
          'names',
          `title ${JSON.stringify(title).slice(0, 30)}`,
          typedProblem(saved.error?.code, saved.error?.message),
        )
        continue
      }
      const added = readdirSync(saveFolder).filter((name) => !before.has(name))
      const name = saved.value?.fileName ?? ''
      const problems = [
        added.length === 1 && added[0] === name ? null : `wrote ${JSON.stringify(added)}`,
        Buffer.byteLength(name, 'utf8') <= maxNameBytes ? null : 'name too long',
        Array.from(name).some((char) => char.charCodeAt(0) < 0x20 || '<>:"/\\|?*'.includes(char))
          ? 'forbidden character'
          : null,
        /^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i.test(name) ? 'reserved device name' : null,
        /[. ]$/.test(name.replace(/\.glide$/, '')) ? 'trailing dot or space' : null,
      ].filter(Boolean)
      record(
        'names',
        `title ${JSON.stringify(title).slice(0, 30)}`,
        problems.length ? problems.join(', ') : null,
      )
    }
    const longest = join(saveFolder, `${'n'.repeat(maxNameBytes - 4)}.png`)
    await viaCall(
      'names',
      'a legal 255-byte name',
      () => writeFileAtomic(longest, new Uint8Array([1])),
      () => existsSync(longest),
    )
    // Save paths the file system refuses (a dialog may return anything): typed, nothing written.
    for (const [name, path] of [
      ['a 256-byte name', join(saveFolder, 'n'.repeat(256))],
      ['a folder that does not exist', join(saveFolder, 'missing', 'x.glide')],
      ['an existing folder', saveFolder],
    ] as const) {
      const before = readdirSync(saveFolder).length
      const service = createDocumentService({
        recoveryDirectory: join(work, 'recovery-names'),
        dialogs: { chooseOpenPath: async () => null, chooseSavePath: async () => path },
      }).forClient('names')
      await viaCall('names', `saving to ${name}`, () =>
        service['documents.saveProject']({ project: sampleProject(), saveAs: true }),
      )
      if (readdirSync(saveFolder).length !== before)
        record('names', `${name}: nothing left`, 'a file was left')
    }
    expect(mishandled('names')).toEqual([])
  }, 60_000)

  it('the CLI refuses zero-step respacings and SVG pictures as the app does', async () => {
    const bin = fileURLToPath(new URL('../../bin/glide-studio.js', import.meta.url))
    const cli = (...args: string[]) =>
      new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [bin, ...args],
          {
            env: {
              ...process.env,
              GLIDE_STUDIO_CONFIG_DIR: join(work, 'cli-config'),
              GLIDE_STUDIO_MODELS_DIR: modelsDir,
            },
            timeout: 60_000,
          },
          (error, _stdout, stderr) =>
            resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
        ),
      )
    const out = join(work, 'never.png')
    const svg = join(work, 'picture.svg')
    writeFileSync(svg, '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>')
    const steps = await cli(
      'generate',
      '--prompt',
      'x',
      '--steps',
      '0,0,0',
      '--upsample-steps',
      '0',
      '--out',
      out,
    )
    record(
      'ipc',
      'CLI --steps 0,0,0',
      steps.code === 2 && steps.stderr.includes('--steps: Steps must be a whole number from 1')
        ? null
        : steps.stderr.slice(0, 300),
    )
    const upsample = await cli(
      'generate',
      '--prompt',
      'x',
      '--upsample-steps',
      '0,0,0',
      '--out',
      out,
    )
    record(
      'ipc',
      'CLI --upsample-steps 0,0,0',
      upsample.code === 2 && upsample.stderr.includes('--upsample-steps: Steps must be')
        ? null
        : upsample.stderr.slice(0, 300),
    )
    const vector = await cli(
      'generate',
      '--prompt',
      'x',
      '--init-image',
      svg,
      '--strength',
      '0.5',
      '--out',
      out,
    )
    record(
      'images',
      'CLI --init-image picture.svg',
      vector.code !== 0 && vector.stderr.includes('(UNSUPPORTED_FORMAT)')
        ? null
        : vector.stderr.slice(0, 300),
    )
    expect(existsSync(out)).toBe(false)
    expect(mishandled('ipc')).toEqual([])
    expect(mishandled('images')).toEqual([])
  }, 120_000)

  it('handled every hostile case (typed error or valid result) and says how many it tried', () => {
    const classes: HostileClass[] = [
      'projects',
      'openraster',
      'images',
      'ipc',
      'browser server',
      'model folders',
      'downloads',
      'names',
    ]
    let total = 0
    const lines = classes.map((kind) => {
      const entry = tally.get(kind) ?? { tried: 0, mishandled: [] }
      total += entry.tried
      expect(entry.tried, kind).toBeGreaterThan(0)
      expect(entry.mishandled, kind).toEqual([])
      return `${kind} ${entry.tried}`
    })
    process.stdout.write(
      `hostile inputs: ${total} cases tried, all handled (${lines.join(', ')})\n`,
    )
    expect(total).toBeGreaterThan(500)
  })
})

/** Handlers for a browser server in this suite: the router's, channel by channel. */
function routeHandlers() {
  return Object.fromEntries(
    requestChannels.map((channel) => [
      channel,
      async (input: unknown) => {
        const result = (await route(channel, input, appFrame)) as {
          ok: boolean
          value?: unknown
          error?: { code: string; message: string }
        }
        if (result.ok) return result.value
        throw new GlideError(result.error?.code as never, result.error?.message ?? '')
      },
    ]),
  ) as never
}
