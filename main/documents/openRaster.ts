import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LayerData, ProjectData } from '../../contract/documents'
import { maxDocumentSide, maxImagePixels } from '../../contract/documents'
import { GlideError } from '../../contract/errors'
import { ZipReader } from '../engine/checkpoint/zipReader'
import { flattenProject } from './flatten'
import { decodePngPixels, encodePng, thumbnailPng } from './imageCodec'
import { maxPngBytesFor, PixelBudget, pngDimensions } from './pixelBudget'
import { writeZip } from './zip/zipWriter'

/**
 * OpenRaster (.ora, https://www.openraster.org/): a zip whose first entry is the stored
 * `mimetype`, then stack.xml (layers listed top first), one PNG per layer cropped to its content
 * and placed with x/y, mergedimage.png and Thumbnails/thumbnail.png. Krita, GIMP and MyPaint
 * open it.
 */
export async function writeOpenRaster(project: ProjectData): Promise<Uint8Array> {
  const layerEntries: { name: string; data: Uint8Array }[] = []
  const stackLines: string[] = []
  for (const [index, layer] of project.layers.entries()) {
    const source = `data/layer${index}.png`
    const pixels = layer.pixels
    const png = pixels
      ? await encodePng(pixels.data, pixels.bounds.width, pixels.bounds.height, 4)
      : await encodePng(new Uint8Array(4), 1, 1, 4)
    layerEntries.push({ name: source, data: png })
    stackLines.unshift(
      `    <layer name="${escapeXml(layer.name)}" src="${source}" x="${pixels?.bounds.x ?? 0}" y="${pixels?.bounds.y ?? 0}" opacity="${layer.opacity.toFixed(4)}" visibility="${layer.visible ? 'visible' : 'hidden'}" composite-op="svg:src-over" />`,
    )
  }
  const stackXml = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<image version="0.0.3" w="${project.width}" h="${project.height}">`,
    `  <stack>`,
    ...stackLines,
    `  </stack>`,
    `</image>`,
    '',
  ].join('\n')
  const merged = flattenProject(project)
  return writeZip([
    { name: 'mimetype', data: Buffer.from('image/openraster', 'ascii'), method: 'stored' },
    { name: 'stack.xml', data: Buffer.from(stackXml, 'utf8') },
    ...layerEntries.map((entry) => ({ ...entry, method: 'stored' as const })),
    {
      name: 'mergedimage.png',
      data: await encodePng(merged, project.width, project.height, 4),
      method: 'stored',
    },
    {
      name: 'Thumbnails/thumbnail.png',
      data: await thumbnailPng(merged, project.width, project.height, 256),
      method: 'stored',
    },
  ])
}

/** Reads a flat OpenRaster stack (nested stacks are refused) into project data. */
export async function readOpenRaster(
  path: string,
  documentId: string,
  title: string,
): Promise<ProjectData> {
  const zip = await ZipReader.open(path, {
    corruptCode: 'PROJECT_INVALID',
    label: title,
    maxEntries: 1100,
  })
  try {
    const entry = (name: string) => {
      const found = zip.entry(name)
      if (!found) throw new GlideError('PROJECT_INVALID', `${title} has no ${name}.`)
      return found
    }
    const mimetype = Buffer.from(await zip.readEntry(entry('mimetype'), 64)).toString('ascii')
    if (mimetype !== 'image/openraster')
      throw new GlideError('PROJECT_INVALID', `${title} is not OpenRaster.`)
    const xml = Buffer.from(await zip.readEntry(entry('stack.xml'), 4 << 20)).toString('utf8')
    const image = /<image\b([^>]*)>/.exec(xml)
    const width = Number(attribute(image?.[1] ?? '', 'w'))
    const height = Number(attribute(image?.[1] ?? '', 'h'))
    if (!isSide(width) || !isSide(height))
      throw new GlideError('PROJECT_INVALID', `${title}: bad canvas size.`)
    if ((xml.match(/<stack\b/g) ?? []).length > 1) {
      throw new GlideError(
        'PROJECT_INVALID',
        `${title} has layer groups, which the editor cannot open.`,
      )
    }
    const tags = [...xml.matchAll(/<layer\b([^>]*?)\/?>/g)].reverse()
    if (tags.length > 256) throw new GlideError('PROJECT_INVALID', `${title} has too many layers.`)
    // Sizes and entries of every layer are checked against the budget before any decode.
    const budget = new PixelBudget(title)
    const planned = []
    for (const [index, tag] of tags.entries()) {
      const attributes = tag[1] ?? ''
      const source = attribute(attributes, 'src') ?? ''
      const pngEntry = entry(source)
      budget.claimEntry(pngEntry)
      const header = await zip.readEntry(pngEntry, maxPngBytesFor(maxImagePixels, 4))
      const size = pngDimensions(header)
      if (!size) throw new GlideError('PROJECT_INVALID', `${title}/${source} is not a PNG.`)
      budget.claim(size.width, size.height, `layer ${index + 1}`)
      const x = Number(attribute(attributes, 'x') ?? 0)
      const y = Number(attribute(attributes, 'y') ?? 0)
      if (!isCoordinate(x) || !isCoordinate(y)) {
        throw new GlideError('PROJECT_INVALID', `${title}: layer ${index + 1} has a bad position.`)
      }
      planned.push({ index, attributes, source, png: header, x, y })
    }
    const layers: LayerData[] = []
    for (const { index, attributes, source, png, x, y } of planned) {
      const decoded = await decodePngPixels(png, 4, `${title}/${source}`)
      const opacity = Number(attribute(attributes, 'opacity') ?? 1)
      layers.push({
        id: `ora-${index}`,
        name: unescapeXml(attribute(attributes, 'name') ?? `Layer ${index + 1}`).slice(0, 200),
        visible: attribute(attributes, 'visibility') !== 'hidden',
        opacity: Number.isFinite(opacity) ? Math.min(Math.max(opacity, 0), 1) : 1,
        locked: false,
        pixels: cropToCanvas(decoded, x, y, width, height),
      })
    }
    return {
      documentId,
      title,
      width,
      height,
      layers,
      mask: null,
      frame: defaultFrame(width, height),
    }
  } finally {
    await zip.close()
  }
}

/** Writes bytes to a private temp file so the zip reader (which works on paths) can read them. */
export async function withTempFile<T>(
  bytes: Uint8Array,
  body: (path: string) => Promise<T>,
): Promise<T> {
  const directory = await mkdtemp(join(tmpdir(), 'glide-doc-'))
  try {
    const path = join(directory, 'file')
    await writeFile(path, bytes)
    return await body(path)
  } finally {
    await rm(directory, { recursive: true, force: true })
  }
}

function cropToCanvas(
  decoded: { width: number; height: number; data: Uint8Array },
  x: number,
  y: number,
  width: number,
  height: number,
): LayerData['pixels'] {
  const x0 = Math.max(0, Math.round(x))
  const y0 = Math.max(0, Math.round(y))
  const x1 = Math.min(width, Math.round(x) + decoded.width)
  const y1 = Math.min(height, Math.round(y) + decoded.height)
  if (x1 <= x0 || y1 <= y0) return null
  const w = x1 - x0
  const h = y1 - y0
  const data = new Uint8Array(w * h * 4)
  for (let row = 0; row < h; row++) {
    const from = ((y0 - Math.round(y) + row) * decoded.width + (x0 - Math.round(x))) * 4
    data.set(decoded.data.subarray(from, from + w * 4), row * w * 4)
  }
  return { bounds: { x: x0, y: y0, width: w, height: h }, data }
}

export function defaultFrame(width: number, height: number) {
  const side = Math.min(width, height, 512)
  return {
    x: Math.floor((width - side) / 2),
    y: Math.floor((height - side) / 2),
    width: side,
    height: side,
  }
}

function isSide(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= maxDocumentSide
}

function isCoordinate(value: number): boolean {
  return Number.isInteger(value) && Math.abs(value) <= 4 * maxDocumentSide
}

function attribute(attributes: string, name: string): string | undefined {
  const match = new RegExp(`(?:^|\\s)${name}="([^"]*)"`).exec(attributes)
  return match?.[1]
}

function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d{1,7});/g, (entity, code: string) =>
      Number(code) <= 0x10ffff ? String.fromCodePoint(Number(code)) : entity,
    )
    .replace(/&amp;/g, '&')
}
