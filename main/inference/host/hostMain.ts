/**
 * The entry of main's helper processes (bundled to out/main/host.cjs). Started plainly it is the
 * inference host; started with `--document-decoder` it decodes untrusted images and project files
 * for main, so a decoder that crashes or runs out of memory fails that one request, not the app.
 * Each role loads only its own code.
 */
import { decoderRoleFlag } from '../../documents/decoder/protocol'
import { connectToParent } from './parentChannel'

// No top-level await: the bundle is CommonJS.
if (process.argv.includes(decoderRoleFlag)) {
  void import('../../documents/decoder/decoderProcess').then(({ serveDocumentDecoding }) =>
    serveDocumentDecoding(connectToParent()),
  )
} else {
  void import('./inferenceHost').then(({ runInferenceHost }) => runInferenceHost(connectToParent()))
}
