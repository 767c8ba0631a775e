import { z } from 'zod'

/** Every error that crosses a process boundary carries one of these codes plus a human message. */
export const errorCodes = [
  'INVALID_PAYLOAD',
  'INVALID_ARGUMENT',
  'UNKNOWN_CHANNEL',
  'FORBIDDEN',
  'MODEL_NOT_FOUND',
  'MODEL_INVALID',
  'CHECKPOINT_REFUSED',
  'CHECKPOINT_CORRUPT',
  'CHECKPOINT_MISMATCH',
  'IMAGE_INVALID',
  'IMAGE_TOO_LARGE',
  'UNSUPPORTED_FORMAT',
  'PROJECT_INVALID',
  'DOWNLOAD_FAILED',
  'INTEGRITY_MISMATCH',
  'DISK_FULL',
  'IO_ERROR',
  'EP_UNAVAILABLE',
  'OUT_OF_MEMORY',
  'HOST_CRASHED',
  'CANCELLED',
  'JOB_NOT_FOUND',
  'INTERNAL',
] as const

export const zErrorCode = z.enum(errorCodes)
export type ErrorCode = z.infer<typeof zErrorCode>

export const zSerializedError = z.strictObject({
  code: zErrorCode,
  message: z.string().max(4000),
})
export type SerializedError = z.infer<typeof zSerializedError>

/** The one error class of the project: a typed code and a message meant for the user. */
export class GlideError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'GlideError'
    this.code = code
  }

  toJSON(): SerializedError {
    return { code: this.code, message: this.message }
  }
}

/** Turns anything thrown into a serialisable error; unknown errors become INTERNAL. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof GlideError) return error.toJSON()
  if (error && typeof error === 'object' && 'code' in error) {
    const code = (error as { code: unknown }).code
    if (code === 'ENOSPC') return { code: 'DISK_FULL', message: 'The disk is full.' }
    const parsed = zErrorCode.safeParse(code)
    if (parsed.success) {
      const message = 'message' in error ? String(error.message) : parsed.data
      return { code: parsed.data, message: message.slice(0, 4000) }
    }
  }
  const message = error instanceof Error ? error.message : String(error)
  return { code: 'INTERNAL', message: message.slice(0, 4000) }
}
