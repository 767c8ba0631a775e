/**
 * The inference host: ONNX Runtime sessions and the sampling loop, in their own process so that
 * session.run never blocks main. Started by main/inference/client as an Electron utilityProcess or
 * a Node child process; one job at a time, loaded models cached by id.
 */
import { GlideError, serializeError } from '../../../contract/errors'
import { describeIssues } from '../../../contract/issues'
import { addPngTextChunks } from '../../documents/pngText'
import type { GlideUNet } from '../../engine/glideModel'
import {
  inpaint,
  textToImage,
  type PipelineHooks,
  type RgbaImage,
} from '../../engine/pipelines/index'
import { zToHost, type FromHost, type HostJob } from '../protocol'
import { ModelCache } from './modelCache'
import { encodePng } from './png'

interface ParentChannel {
  post(message: FromHost): void
  onMessage(listener: (raw: unknown) => void): void
}

interface UtilityParentPort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (event: { data: unknown }) => void): void
}

function connectToParent(): ParentChannel {
  const parentPort = (process as { parentPort?: UtilityParentPort }).parentPort
  if (parentPort) {
    return {
      post: (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on('message', (event) => listener(event.data)),
    }
  }
  const send = process.send?.bind(process)
  if (!send) throw new Error('the inference host must be started by main (no IPC channel)')
  // The parent owns this process: when it goes, so do we.
  process.on('disconnect', () => process.exit(0))
  return {
    post: (message) => void send(message),
    onMessage: (listener) => process.on('message', listener),
  }
}

/** Lets queued messages (a cancel) in before every network call; session.run holds the thread. */
function yieldingUNet(unet: GlideUNet, isCancelled: () => boolean): GlideUNet {
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve))
  return {
    id: unet.id,
    kind: unet.kind,
    options: unet.options,
    ...(unet.sampling ? { sampling: unet.sampling } : {}),
    async encodeText(tokens, mask) {
      await turn()
      return unet.encodeText(tokens, mask)
    },
    async denoise(inputs) {
      await turn()
      if (isCancelled()) throw new GlideError('CANCELLED', 'The job was cancelled.')
      return unet.denoise(inputs)
    },
    dispose: () => Promise.resolve(),
  }
}

/** The same keys as the editor's PNG exports: prompt, seed and settings as JSON. */
function settingsText(job: HostJob, modelIds: string[]): Record<string, string> {
  return {
    Software: 'Glide Studio',
    parameters: JSON.stringify({ kind: job.kind, ...job.settings, modelIds }),
  }
}

const parent = connectToParent()
const models = new ModelCache()
const cancelled = new Set<string>()
let runningJobId: string | null = null

async function run(jobId: string, job: HostJob): Promise<void> {
  const isCancelled = () => cancelled.has(jobId)
  const base = await models.get(job.baseModel, job.executionProvider)
  const upsampler = job.upsampleModel
    ? await models.get(job.upsampleModel, job.executionProvider)
    : null
  const modelIds = [base.unet.id, ...(upsampler ? [upsampler.unet.id] : [])]
  let lastPreviewAt = 0
  const hooks: PipelineHooks = {
    isCancelled,
    onStep(event) {
      const now = Date.now()
      const wantsPreview =
        event.step === 1 ||
        event.step === event.totalSteps ||
        now - lastPreviewAt >= job.previewIntervalMs
      if (wantsPreview) lastPreviewAt = now
      const { preview } = event
      parent.post({
        type: 'step',
        jobId,
        stage: event.stage,
        step: event.step,
        totalSteps: event.totalSteps,
        preview: wantsPreview ? encodePng(preview.width, preview.height, preview.data) : null,
      })
    },
  }
  const unets = {
    base: yieldingUNet(base.unet, isCancelled),
    ...(upsampler ? { upsampler: yieldingUNet(upsampler.unet, isCancelled) } : {}),
  }
  const { modelId: _modelId, upsampleModelId: _upsampleModelId, ...params } = job.settings
  let images: RgbaImage[]
  if (job.kind === 'inpaint') {
    if (!job.image || !job.keepMask)
      throw new GlideError('INVALID_ARGUMENT', 'Inpainting needs an image and a mask.')
    const keepMask = Float32Array.from(job.keepMask, (value) => value / 255)
    images = await inpaint(unets, { ...params, image: job.image, keepMask }, hooks)
  } else {
    images = await textToImage(unets, params, hooks)
  }
  const text = settingsText(job, modelIds)
  parent.post({
    type: 'done',
    jobId,
    provider: base.provider,
    modelIds,
    images: images.map((image) => ({
      width: image.width,
      height: image.height,
      png: addPngTextChunks(encodePng(image.width, image.height, image.data), text),
    })),
  })
}

parent.onMessage((raw) => {
  const parsed = zToHost.safeParse(raw)
  if (!parsed.success) {
    process.stderr.write(
      `inference host: refused a malformed message (${describeIssues(parsed.error, 1, 'message')})\n`,
    )
    return
  }
  const message = parsed.data
  if (message.type === 'cancel') {
    if (message.jobId === runningJobId) cancelled.add(message.jobId)
    return
  }
  if (runningJobId !== null) {
    parent.post({
      type: 'failed',
      jobId: message.jobId,
      error: { code: 'INTERNAL', message: 'The inference host is busy with another job.' },
    })
    return
  }
  runningJobId = message.jobId
  run(message.jobId, message.job)
    .catch((error: unknown) => {
      parent.post({ type: 'failed', jobId: message.jobId, error: serializeError(error) })
    })
    .finally(() => {
      cancelled.delete(message.jobId)
      runningJobId = null
    })
})

parent.post({ type: 'ready', pid: process.pid })
