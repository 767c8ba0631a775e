import { GlideError, serializeError } from '../../contract/errors'
import { describeIssues } from '../../contract/issues'
import { isRequestChannel, requests, type IpcResult } from '../../contract/ipc'
import type { Handlers } from './services'

/** Says whether a request comes from a page we trust (checked before anything else is read). */
export type SenderCheck<Sender> = (sender: Sender) => boolean

export type Route<Sender> = (
  channel: unknown,
  input: unknown,
  sender: Sender,
) => Promise<IpcResult<unknown>>

/**
 * The request router both transports use: sender check, channel lookup, input validation, the
 * handler, output validation. Every failure comes back as a typed error value; nothing throws.
 */
export function createRouter<Sender>(
  handlers: Handlers,
  isTrusted: SenderCheck<Sender>,
): Route<Sender> {
  return async (channel, input, sender) => {
    try {
      if (!isTrusted(sender))
        throw new GlideError('FORBIDDEN', 'The request did not come from the app.')
      if (!isRequestChannel(channel))
        throw new GlideError('UNKNOWN_CHANNEL', 'There is no such channel.')
      const schema = requests[channel]
      const parsed = schema.input.safeParse(input)
      if (!parsed.success) throw new GlideError('INVALID_PAYLOAD', describeIssues(parsed.error))
      const handler = handlers[channel] as (input: unknown) => unknown
      const output = await handler(parsed.data)
      const checked = schema.output.safeParse(output)
      if (!checked.success) {
        console.error(`${channel} returned a malformed result:`, describeIssues(checked.error))
        throw new GlideError('INTERNAL', 'The app produced a malformed result.')
      }
      return { ok: true, value: checked.data }
    } catch (error) {
      return { ok: false, error: serializeError(error) }
    }
  }
}
