import type { GenerationInfo } from '../../../contract/documents'
import { defaultFrame } from '../../../imaging/region'
import type { Rect } from './geometry'
import { TiledRaster } from './TiledRaster'

export const maxDocumentSide = 8192

/** One raster layer. Pixels are document-sized, sparse tiles of straight-alpha RGBA. */
export interface Layer {
  readonly id: string
  name: string
  visible: boolean
  /** 0..1 */
  opacity: number
  locked: boolean
  readonly raster: TiledRaster
  generation?: GenerationInfo
}

/** A layer or document name as kept: trimmed, at most 200 characters (the project format's). */
export function keptName(name: string): string {
  return name.trim().slice(0, 200)
}

/** Plain RGBA image, straight alpha, row-major; the shape the pipelines take and return. */
export interface RgbaImage {
  readonly width: number
  readonly height: number
  readonly data: Uint8ClampedArray
}

let layerCounter = 0

export function newLayerId(): string {
  layerCounter += 1
  return `layer-${Date.now().toString(36)}-${layerCounter.toString(36)}`
}

/** Everything a canvas resize or crop replaces at once. */
export interface CanvasState {
  readonly width: number
  readonly height: number
  readonly layers: readonly Layer[]
  readonly mask: TiledRaster
  readonly frame: Rect
}

/**
 * The document: size, a stack of layers (index 0 is the bottom), the inpainting mask (one byte per
 * pixel, 255 = painted = regenerate) and the square generation frame. It holds state only; every
 * change that should be undoable goes through {@link Editor}.
 */
export class EditorDocument {
  readonly layers: Layer[] = []
  frame: Rect
  private canvasWidth: number
  private canvasHeight: number
  private maskRaster: TiledRaster

  constructor(
    width: number,
    height: number,
    readonly id: string = newLayerId(),
    public title = 'Untitled',
  ) {
    checkCanvasSize(width, height)
    this.canvasWidth = width
    this.canvasHeight = height
    this.maskRaster = new TiledRaster(width, height, 1)
    this.frame = defaultFrame({ width, height })
  }

  get width(): number {
    return this.canvasWidth
  }

  get height(): number {
    return this.canvasHeight
  }

  get mask(): TiledRaster {
    return this.maskRaster
  }

  /** The size, layers, mask and frame as one value (what a canvas resize swaps). */
  get canvasState(): CanvasState {
    return {
      width: this.width,
      height: this.height,
      layers: [...this.layers],
      mask: this.maskRaster,
      frame: this.frame,
    }
  }

  /** Replaces size, layers, mask and frame together; rasters must match the new size. */
  setCanvasState(state: CanvasState): void {
    checkCanvasSize(state.width, state.height)
    for (const raster of [state.mask, ...state.layers.map((layer) => layer.raster)]) {
      if (raster.width !== state.width || raster.height !== state.height)
        throw new RangeError('every raster must have the canvas size')
    }
    this.canvasWidth = state.width
    this.canvasHeight = state.height
    this.maskRaster = state.mask
    this.layers.splice(0, this.layers.length, ...state.layers)
    this.frame = state.frame
  }

  get bounds(): Rect {
    return { x: 0, y: 0, width: this.width, height: this.height }
  }

  createLayer(name: string, id = newLayerId()): Layer {
    return {
      id,
      name,
      visible: true,
      opacity: 1,
      locked: false,
      raster: new TiledRaster(this.width, this.height, 4),
    }
  }

  layerIndex(id: string): number {
    return this.layers.findIndex((layer) => layer.id === id)
  }

  getLayer(id: string): Layer | undefined {
    return this.layers.find((layer) => layer.id === id)
  }
}

function checkCanvasSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height))
    throw new RangeError('size must be integral')
  if (width < 1 || height < 1 || width > maxDocumentSide || height > maxDocumentSide) {
    throw new RangeError(`canvas sides must be 1..${maxDocumentSide} pixels`)
  }
}
