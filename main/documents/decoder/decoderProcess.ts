import { describeIssues } from '../../../contract/issues'
import { serializeError } from '../../../contract/errors'
import type { ParentChannel } from '../../inference/host/parentChannel'
import { inProcessDecoder } from './documentDecoder'
import {
  FrameAssembler,
  sendFramed,
  zDecodeRequest,
  zDecoderMessage,
  type DecodeReply,
  type DecodeRequest,
  type DecoderMessage,
} from './protocol'

async function answer(request: DecodeRequest): Promise<DecodeReply> {
  try {
    switch (request.task) {
      case 'image':
        return {
          kind: 'image',
          image: await inProcessDecoder.decodeImage(request.bytes, request.fileName),
        }
      case 'document':
        return {
          kind: 'project',
          project: await inProcessDecoder.readDocument(request.bytes, request.fileName),
        }
      case 'projectFile':
        return {
          kind: 'project',
          project: await inProcessDecoder.readProjectFile(request.path, request.label),
        }
    }
  } catch (error) {
    return { kind: 'failed', error: serializeError(error) }
  }
}

/**
 * The document decoder's side: requests arrive framed from main, are decoded one at a time (the
 * pixel budget bounds one document, not several at once) and answered under the same id.
 * Anything main sends out of order ends this process; main starts a fresh one.
 */
export function serveDocumentDecoding(parent: ParentChannel<DecoderMessage>): void {
  const frames = new FrameAssembler()
  let queue = Promise.resolve()
  const fail = (why: string): never => {
    process.stderr.write(`document decoder: ${why}\n`)
    process.exit(70)
  }
  parent.onMessage((raw) => {
    const parsed = zDecoderMessage.safeParse(raw)
    if (!parsed.success) fail(`malformed message (${describeIssues(parsed.error, 1, 'message')})`)
    const message = parsed.data as DecoderMessage
    if (message.type === 'ready') return fail('unexpected ready')
    let complete: { id: number; value: unknown } | undefined
    try {
      complete = frames.accept(message)
    } catch (error) {
      fail((error as Error).message)
    }
    if (!complete) return
    const { id, value } = complete
    queue = queue.then(async () => {
      const request = zDecodeRequest.safeParse(value)
      const reply: DecodeReply = request.success
        ? await answer(request.data)
        : {
            kind: 'failed',
            error: {
              code: 'INVALID_PAYLOAD',
              message: describeIssues(request.error, 3, 'request'),
            },
          }
      await sendFramed((outgoing) => parent.post(outgoing), id, reply)
    })
  })
  void parent.post({ type: 'ready', pid: process.pid })
}
