import type { Point, Rect } from './geometry'

export const minZoom = 1 / 64
export const maxZoom = 32

/** Screen ↔ document mapping: screen = document × scale + offset. */
export class Viewport {
  scale = 1
  offsetX = 0
  offsetY = 0
  width = 800
  height = 600

  setSize(width: number, height: number): void {
    this.width = Math.max(1, width)
    this.height = Math.max(1, height)
  }

  toDocument(screen: Point): Point {
    return { x: (screen.x - this.offsetX) / this.scale, y: (screen.y - this.offsetY) / this.scale }
  }

  toScreen(point: Point): Point {
    return { x: point.x * this.scale + this.offsetX, y: point.y * this.scale + this.offsetY }
  }

  panBy(dx: number, dy: number): void {
    this.offsetX += dx
    this.offsetY += dy
  }

  /** Zooms by `factor` keeping the document point under `screen` where it is. */
  zoomAt(screen: Point, factor: number): void {
    const anchor = this.toDocument(screen)
    this.scale = Math.min(Math.max(this.scale * factor, minZoom), maxZoom)
    this.offsetX = screen.x - anchor.x * this.scale
    this.offsetY = screen.y - anchor.y * this.scale
  }

  /** Whole canvas in view with a margin. */
  fit(canvasWidth: number, canvasHeight: number, margin = 24): void {
    const scale = Math.min(
      (this.width - 2 * margin) / canvasWidth,
      (this.height - 2 * margin) / canvasHeight,
    )
    this.scale = Math.min(Math.max(scale, minZoom), maxZoom)
    this.centre(canvasWidth, canvasHeight)
  }

  /** 100 %: one document pixel per screen pixel, centred. */
  actualSize(canvasWidth: number, canvasHeight: number): void {
    this.scale = 1
    this.centre(canvasWidth, canvasHeight)
  }

  private centre(canvasWidth: number, canvasHeight: number): void {
    this.offsetX = Math.round((this.width - canvasWidth * this.scale) / 2)
    this.offsetY = Math.round((this.height - canvasHeight * this.scale) / 2)
  }

  /** The document area on screen (may extend past the canvas). */
  visibleDocumentRect(): Rect {
    const topLeft = this.toDocument({ x: 0, y: 0 })
    return {
      x: topLeft.x,
      y: topLeft.y,
      width: this.width / this.scale,
      height: this.height / this.scale,
    }
  }
}
