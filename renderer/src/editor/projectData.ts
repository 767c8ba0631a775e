import type { LayerData, PixelBlock, ProjectData } from '../../../contract/documents'
import type { Layer } from './EditorDocument'
import { EditorDocument } from './EditorDocument'
import type { TiledRaster } from './TiledRaster'

/**
 * The document as the contract carries it to main (save, export, autosave): each layer's pixels
 * cropped to their content, so a sparse layer never ships a full-size buffer.
 */
export function documentToProjectData(document: EditorDocument): ProjectData {
  return {
    documentId: document.id,
    title: document.title,
    width: document.width,
    height: document.height,
    frame: { ...document.frame },
    layers: document.layers.map((layer): LayerData => ({
      id: layer.id,
      name: layer.name,
      visible: layer.visible,
      opacity: layer.opacity,
      locked: layer.locked,
      ...(layer.generation ? { generation: layer.generation } : {}),
      pixels: pixelBlock(layer.raster),
    })),
    mask: pixelBlock(document.mask),
  }
}

export function documentFromProjectData(project: ProjectData): EditorDocument {
  const document = new EditorDocument(
    project.width,
    project.height,
    project.documentId,
    project.title,
  )
  for (const data of project.layers) {
    const layer: Layer = {
      ...document.createLayer(data.name, data.id),
      visible: data.visible,
      opacity: data.opacity,
      locked: data.locked,
      ...(data.generation ? { generation: data.generation } : {}),
    }
    if (data.pixels) layer.raster.writeRect(data.pixels.bounds, data.pixels.data)
    document.layers.push(layer)
  }
  if (project.mask) document.mask.writeRect(project.mask.bounds, project.mask.data)
  document.frame = { ...project.frame }
  return document
}

function pixelBlock(raster: TiledRaster): PixelBlock | null {
  const bounds = raster.contentBounds()
  if (!bounds) return null
  const data = raster.readRect(bounds)
  return {
    bounds,
    data: new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength),
  }
}
