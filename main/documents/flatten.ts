import type { LayerData, ProjectData } from '../../contract/documents'

/**
 * The composite of the visible layers at full canvas size, straight-alpha RGBA: source-over with
 * each layer's opacity, the same arithmetic as the editor's compositing, so exports match the
 * screen.
 */
export function flattenProject(project: ProjectData): Uint8Array {
  const { width } = project
  const out = new Uint8Array(project.width * project.height * 4)
  for (const layer of project.layers) {
    if (!layer.visible || layer.opacity <= 0 || !layer.pixels) continue
    const { bounds, data } = layer.pixels
    for (let y = 0; y < bounds.height; y++) {
      for (let x = 0; x < bounds.width; x++) {
        const s = (y * bounds.width + x) * 4
        const d = ((bounds.y + y) * width + bounds.x + x) * 4
        blendPixel(out, d, data, s, layer.opacity)
      }
    }
  }
  return out
}

function blendPixel(
  target: Uint8Array,
  t: number,
  source: Uint8Array,
  s: number,
  opacity: number,
): void {
  const sa = ((source[s + 3] ?? 0) / 255) * opacity
  if (sa === 0) return
  if (sa === 1) {
    target[t] = source[s] ?? 0
    target[t + 1] = source[s + 1] ?? 0
    target[t + 2] = source[s + 2] ?? 0
    target[t + 3] = 255
    return
  }
  const da = (target[t + 3] ?? 0) / 255
  const oa = sa + da * (1 - sa)
  const sw = sa / oa
  const dw = (da * (1 - sa)) / oa
  for (let c = 0; c < 3; c++) {
    target[t + c] = clampByte((source[s + c] ?? 0) * sw + (target[t + c] ?? 0) * dw)
  }
  target[t + 3] = clampByte(oa * 255)
}

/** Uint8ClampedArray semantics: round half to even, clamp to 0..255. */
function clampByte(value: number): number {
  if (value <= 0) return 0
  if (value >= 255) return 255
  const floor = Math.floor(value)
  const diff = value - floor
  if (diff > 0.5) return floor + 1
  if (diff < 0.5) return floor
  return floor % 2 === 0 ? floor : floor + 1
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
