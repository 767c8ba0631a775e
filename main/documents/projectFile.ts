import { z } from 'zod'
import type { LayerData, PixelBlock, ProjectData } from '../../contract/documents'
import { zGenerationInfo, zLayerId, zProjectData, zRect } from '../../contract/documents'
import { GlideError } from '../../contract/errors'
import { ZipReader, type ZipEntry } from '../engine/checkpoint/zipReader'
import { decodePngPixels, encodePng } from './imageCodec'
import { maxPngBytesFor, PixelBudget, pngDimensions } from './pixelBudget'
import { writeZip } from './zip/zipWriter'

export const projectFormat = 'glide-studio/project@1'

/** manifest.json of a .glide file: the source of truth when opening; parsed, never trusted. */
export const zProjectManifest = z.strictObject({
  format: z.literal(projectFormat),
  documentId: zLayerId,
  title: z.string().max(200),
  width: z.number().int().min(1).max(8192),
  height: z.number().int().min(1).max(8192),
  frame: zRect,
  savedAt: z.string().max(40),
  layers: z
    .array(
      z.strictObject({
        id: zLayerId,
        name: z.string().max(200),
        visible: z.boolean(),
        opacity: z.number().min(0).max(1),
        locked: z.boolean(),
        generation: zGenerationInfo.optional(),
        /** layers/<id>.png, cropped to `bounds`; null for an empty layer */
        image: z
          .strictObject({
            file: z.string().regex(/^layers\/[A-Za-z0-9_-]{1,64}\.png$/),
            bounds: zRect,
          })
          .nullable(),
      }),
    )
    .max(256),
  mask: z.strictObject({ file: z.literal('mask.png'), bounds: zRect }).nullable(),
})
export type ProjectManifest = z.infer<typeof zProjectManifest>

const maxManifestBytes = 4 << 20

/** A .glide file: manifest.json, one PNG per non-empty layer (cropped), mask.png (grey). */
export async function writeProjectFile(
  project: ProjectData,
  savedAt = new Date(),
): Promise<Uint8Array> {
  const entries: { name: string; data: Uint8Array; method: 'stored' | 'deflate' }[] = []
  const layers: ProjectManifest['layers'] = []
  for (const layer of project.layers) {
    let image: ProjectManifest['layers'][number]['image'] = null
    if (layer.pixels) {
      const file = `layers/${layer.id}.png`
      const { bounds, data } = layer.pixels
      entries.push({
        name: file,
        data: await encodePng(data, bounds.width, bounds.height, 4),
        method: 'stored',
      })
      image = { file, bounds }
    }
    layers.push({
      id: layer.id,
      name: layer.name,
      visible: layer.visible,
      opacity: layer.opacity,
      locked: layer.locked,
      ...(layer.generation ? { generation: layer.generation } : {}),
      image,
    })
  }
  let mask: ProjectManifest['mask'] = null
  if (project.mask) {
    const { bounds, data } = project.mask
    entries.push({
      name: 'mask.png',
      data: await encodePng(data, bounds.width, bounds.height, 1),
      method: 'stored',
    })
    mask = { file: 'mask.png', bounds }
  }
  const manifest: ProjectManifest = {
    format: projectFormat,
    documentId: project.documentId,
    title: project.title,
    width: project.width,
    height: project.height,
    frame: project.frame,
    savedAt: savedAt.toISOString(),
    layers,
    mask,
  }
  return writeZip([
    {
      name: 'manifest.json',
      data: Buffer.from(JSON.stringify(manifest, null, 2), 'utf8'),
      method: 'deflate',
    },
    ...entries,
  ])
}

/**
 * Opens a .glide file: every part is validated; anything off is PROJECT_INVALID, and a file that
 * would decode more pixels than a document may hold is IMAGE_TOO_LARGE before any decode.
 */
export async function readProjectFile(path: string, label: string): Promise<ProjectData> {
  const zip = await ZipReader.open(path, { corruptCode: 'PROJECT_INVALID', label, maxEntries: 600 })
  try {
    const manifestEntry = zip.entry('manifest.json')
    if (!manifestEntry) throw new GlideError('PROJECT_INVALID', `${label} has no manifest.json.`)
    let json: unknown
    try {
      json = JSON.parse(
        Buffer.from(await zip.readEntry(manifestEntry, maxManifestBytes)).toString('utf8'),
      )
    } catch (error) {
      if (error instanceof GlideError) throw error
      throw new GlideError('PROJECT_INVALID', `${label}: manifest.json is not JSON.`, {
        cause: error,
      })
    }
    const parsed = zProjectManifest.safeParse(json)
    if (!parsed.success) {
      throw new GlideError(
        'PROJECT_INVALID',
        `${label}: ${z.prettifyError(parsed.error).slice(0, 1000)}`,
      )
    }
    const manifest = parsed.data
    // Every layer's size and entry is checked against the budget before any pixel is decoded.
    const budget = new PixelBudget(label)
    const planned = new Map<string, ZipEntry>()
    const plan = (file: string, bounds: z.infer<typeof zRect>, what: string) => {
      if (
        bounds.x < 0 ||
        bounds.y < 0 ||
        bounds.x + bounds.width > manifest.width ||
        bounds.y + bounds.height > manifest.height
      ) {
        throw new GlideError('PROJECT_INVALID', `${label}: ${what} lies outside the canvas.`)
      }
      const entry = zip.entry(file)
      if (!entry) throw new GlideError('PROJECT_INVALID', `${label} lacks ${file}.`)
      budget.claimEntry(entry)
      budget.claim(bounds.width, bounds.height, what)
      planned.set(file, entry)
    }
    manifest.layers.forEach((layer, index) => {
      if (layer.image) plan(layer.image.file, layer.image.bounds, `layer ${index + 1}`)
    })
    if (manifest.mask) plan(manifest.mask.file, manifest.mask.bounds, 'the mask')
    if (new Set(manifest.layers.map((layer) => layer.id)).size !== manifest.layers.length) {
      throw new GlideError('PROJECT_INVALID', `${label}: layer ids repeat.`)
    }

    const readBlock = async (
      file: string,
      bounds: z.infer<typeof zRect>,
      channels: 1 | 4,
    ): Promise<PixelBlock> => {
      const entry = planned.get(file)
      if (!entry) throw new GlideError('PROJECT_INVALID', `${label} lacks ${file}.`)
      const png = await zip.readEntry(entry, maxPngBytesFor(bounds.width * bounds.height, channels))
      const declared = pngDimensions(png)
      if (declared?.width !== bounds.width || declared.height !== bounds.height) {
        throw new GlideError('PROJECT_INVALID', `${label}: ${file} does not match its bounds.`)
      }
      const decoded = await decodePngPixels(png, channels, `${label}/${file}`)
      if (decoded.width !== bounds.width || decoded.height !== bounds.height) {
        throw new GlideError('PROJECT_INVALID', `${label}: ${file} does not match its bounds.`)
      }
      return { bounds, data: decoded.data }
    }
    const layers: LayerData[] = []
    for (const layer of manifest.layers) {
      const { image, ...rest } = layer
      layers.push({ ...rest, pixels: image ? await readBlock(image.file, image.bounds, 4) : null })
    }
    const project = {
      documentId: manifest.documentId,
      title: manifest.title,
      width: manifest.width,
      height: manifest.height,
      frame: manifest.frame,
      layers,
      mask: manifest.mask ? await readBlock(manifest.mask.file, manifest.mask.bounds, 1) : null,
    }
    const checked = zProjectData.safeParse(project)
    if (!checked.success) {
      throw new GlideError(
        'PROJECT_INVALID',
        `${label}: ${z.prettifyError(checked.error).slice(0, 1000)}`,
      )
    }
    return checked.data
  } finally {
    await zip.close()
  }
}
