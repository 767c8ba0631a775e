import { describeIssues } from '../../../contract/issues'
import { serializeError } from '../../../contract/errors'
import type { ParentChannel } from '../../inference/host/parentChannel'
import { inProcessDecoder } from './documentDecoder'
import {
  readFrameFile,
  replyPathFor,
  writeFrameFile,
  zDecodeRequest,
  zToDecoder,
  type DecodeReply,
  type DecodeRequest,
  type FromDecoder,
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
 * The document decoder's side: each request's frame is read from the file main names, decoded
 * one at a time (the pixel budget bounds one document, not several at once), and the reply is
 * written beside it under main's name for it. A message off protocol ends this process; main
 * starts a fresh one.
 */
export function serveDocumentDecoding(parent: ParentChannel<FromDecoder>): void {
  let queue = Promise.resolve()
  parent.onMessage((raw) => {
    const parsed = zToDecoder.safeParse(raw)
    if (!parsed.success) {
      process.stderr.write(
        `document decoder: malformed message (${describeIssues(parsed.error, 1, 'message')})\n`,
      )
      process.exit(70)
    }
    const { id, path, totalBytes } = parsed.data
    queue = queue.then(async () => {
      let reply: DecodeReply
      try {
        const request = zDecodeRequest.safeParse(await readFrameFile(path, totalBytes))
        reply = request.success
          ? await answer(request.data)
          : {
              kind: 'failed',
              error: {
                code: 'INVALID_PAYLOAD',
                message: describeIssues(request.error, 3, 'request'),
              },
            }
      } catch (error) {
        reply = { kind: 'failed', error: serializeError(error) }
      }
      const replyBytes = await writeFrameFile(replyPathFor(path, id), reply)
      await parent.post({ type: 'frame', id, totalBytes: replyBytes })
    })
  })
  void parent.post({ type: 'ready', pid: process.pid })
}
