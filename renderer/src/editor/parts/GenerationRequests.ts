import type { GenerationRequest, GenerationSettings } from '../generation'
import { captureGenerationRequest } from '../generation'
import type { Point } from '../geometry'
import type { EditSession } from './EditSession'

/** Numbers and captures generation requests for the document of one editor. */
export class GenerationRequests {
  private counter = 0
  /** The canvas origin when each request was captured (see EditSession.canvasOrigin). */
  private readonly origins = new Map<string, Point>()

  constructor(private readonly session: EditSession) {}

  /**
   * Captures a job's inputs now (canvas, mask, frame, settings), so the user can keep editing
   * while it waits in the queue.
   */
  capture(settings: GenerationSettings, modelSide = 256): GenerationRequest {
    this.counter += 1
    const document = this.session.document
    const id = `${document.id}-job-${this.counter}`
    this.origins.set(id, this.session.canvasOrigin)
    return captureGenerationRequest(id, document, document.frame, settings, modelSide)
  }

  /** How far the picture moved since `requestId` was captured (0, 0 when it did not). */
  shiftSince(requestId: string): Point {
    const then = this.origins.get(requestId) ?? this.session.canvasOrigin
    const now = this.session.canvasOrigin
    return { x: now.x - then.x, y: now.y - then.y }
  }
}
