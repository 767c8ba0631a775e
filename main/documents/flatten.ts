import type { LayerData, ProjectData } from '../../contract/documents'
import { blendOver } from '../../imaging/compositing'

/**
 * The composite of the visible layers at full canvas size, straight-alpha RGBA: source-over with
 * each layer's opacity, the same arithmetic as the editor's compositing, so exports match the
 * screen.
 */
export function flattenProject(project: ProjectData): Uint8Array {
  const { width } = project
  const out = new Uint8ClampedArray(project.width * project.height * 4)
  for (const layer of project.layers) {
    if (!layer.visible || layer.opacity <= 0 || !layer.pixels) continue
    const { bounds, data } = layer.pixels
    const rowBytes = bounds.width * 4
    for (let y = 0; y < bounds.height; y++) {
      const start = ((bounds.y + y) * width + bounds.x) * 4
      blendOver(
        out.subarray(start, start + rowBytes),
        data.subarray(y * rowBytes, (y + 1) * rowBytes),
        layer.opacity,
      )
    }
  }
  return new Uint8Array(out.buffer)
}

/** A layer's pixels expanded to the full canvas (transparent outside its bounds). */
export function layerAtCanvasSize(layer: LayerData, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 4)
  if (!layer.pixels) return out
  const { bounds, data } = layer.pixels
  for (let y = 0; y < bounds.height; y++) {
    const from = y * bounds.width * 4
    out.set(data.subarray(from, from + bounds.width * 4), ((bounds.y + y) * width + bounds.x) * 4)
  }
  return out
}

/** JSON of what produced the image, for the composite PNG's tEXt chunk. */
export function generationSummary(project: ProjectData): string {
  const generated = project.layers
    .filter((layer) => layer.visible && layer.generation)
    .map((layer) => ({ layer: layer.name, ...layer.generation }))
  return JSON.stringify({ software: 'Glide Studio', layers: generated })
}
