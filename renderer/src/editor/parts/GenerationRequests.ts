import type { GenerationRequest, GenerationSettings } from '../generation'
import { captureGenerationRequest } from '../generation'
import type { EditSession } from './EditSession'

/** Numbers and captures generation requests for the document of one editor. */
export class GenerationRequests {
  private counter = 0

  constructor(private readonly session: EditSession) {}

  /**
   * Captures a job's inputs now (canvas, mask, frame, settings), so the user can keep editing
   * while it waits in the queue.
   */
  capture(settings: GenerationSettings, modelSide = 256): GenerationRequest {
    this.counter += 1
    const document = this.session.document
    const id = `${document.id}-job-${this.counter}`
    return captureGenerationRequest(id, document, document.frame, settings, modelSide)
  }
}
