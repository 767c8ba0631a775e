/**
 * The inference host: ONNX Runtime sessions and the sampling loop, in their own process so that
 * session.run never blocks main. Started by main/inference/client as an Electron utilityProcess or
 * a Node child process (entry: hostMain.ts); one job at a time, loaded models cached by id (see
 * ModelCache.getMakingRoom for when they are released).
 */
import { GlideError, serializeError } from '../../../contract/errors'
import { clipGuidanceScaleOfJob, stagePrecision } from '../../../contract/generation'
import { describeIssues } from '../../../contract/issues'
import type { GlideUNet } from '../../engine/glideModel'
import type { NoisedClip } from '../../engine/clip/noisedClip'
import {
  clipGuidedInpaint,
  clipGuidedTextToImage,
  inpaint,
  refine,
  textToImage,
  type GlideModels,
  type PipelineHooks,
  type RgbaImage,
} from '../../engine/pipelines/index'
import { zToHost, type FromHost, type HostJob } from '../protocol'
import { ModelCache } from './modelCache'
import type { ParentChannel } from './parentChannel'

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

let parent: ParentChannel<FromHost>
const models = new ModelCache()
const cancelled = new Set<string>()
let runningJobId: string | null = null

async function run(jobId: string, job: HostJob): Promise<void> {
  const isCancelled = () => cancelled.has(jobId)
  const precision = (stage: 'base' | 'upsample') =>
    stagePrecision(job.settings.unetPrecision, stage)
  const prepare = {
    isCancelled,
    onProgress(run: number, runs: number) {
      if (run >= runs) return
      void parent.post({
        type: 'step',
        jobId,
        stage: 'prepare',
        step: run + 1,
        totalSteps: runs,
        preview: null,
      })
    },
  }
  // Nothing of this job is loaded yet: when memory is short, the last job's models make way.
  const base = await models.getMakingRoom(
    job.baseModel,
    job.executionProvider,
    precision('base'),
    prepare,
  )
  // The upsampler opens when its stage starts, releasing the base first when memory is short.
  const upsampler = job.upsampleModel
    ? await models.onDemand(
        job.upsampleModel,
        job.executionProvider,
        precision('upsample'),
        prepare,
      )
    : null
  const modelIds = [base.unet.id, ...(upsampler ? [upsampler.id] : [])]
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
      void parent.post({
        type: 'step',
        jobId,
        stage: event.stage,
        step: event.step,
        totalSteps: event.totalSteps,
        preview: wantsPreview
          ? { width: preview.width, height: preview.height, data: preview.data }
          : null,
      })
    },
  }
  const unets = {
    base: yieldingUNet(base.unet, isCancelled),
    ...(upsampler ? { upsampler: yieldingUNet(upsampler, isCancelled) } : {}),
  }
  const clip = job.clipModels
    ? await models.getClip(job.clipModels.image, job.clipModels.text, job.executionProvider)
    : null
  if (clip) modelIds.push(clip.imageModelId, clip.textModelId)
  const images =
    job.settings.guidanceMode === 'clip'
      ? await runClipGuided(job, unets, clip && yieldingClip(clip, isCancelled), hooks)
      : await runPipeline(job, unets, hooks)
  void parent.post({
    type: 'done',
    jobId,
    provider: base.provider,
    modelIds,
    images: images.map((image) => ({ width: image.width, height: image.height, data: image.data })),
  })
}

/** Lets queued messages (a cancel) in before every CLIP gradient, as for the U-Nets. */
function yieldingClip(clip: NoisedClip, isCancelled: () => boolean): NoisedClip {
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve))
  return {
    imageModelId: clip.imageModelId,
    textModelId: clip.textModelId,
    options: clip.options,
    tokenizer: clip.tokenizer,
    encodeText: (tokens, lens) => clip.encodeText(tokens, lens),
    async imageGradient(x, timesteps, textEmb) {
      await turn()
      if (isCancelled()) throw new GlideError('CANCELLED', 'The job was cancelled.')
      return clip.imageGradient(x, timesteps, textEmb)
    },
    dispose: () => Promise.resolve(),
  }
}

/**
 * CLIP guidance (settings.guidanceMode 'clip'): text to image or inpainting. `clip` is null at
 * scale 0, where main loads none (the pipeline then needs none).
 */
function runClipGuided(
  job: HostJob,
  unets: GlideModels,
  clip: NoisedClip | null,
  hooks: PipelineHooks,
): Promise<RgbaImage[]> {
  const { modelId: _modelId, upsampleModelId: _upsampleModelId, ...params } = job.settings
  const guided = { ...params, clipGuidanceScale: clipGuidanceScaleOfJob(params) }
  const models = { ...unets, ...(clip ? { clip } : {}) }
  if (job.kind === 'generate') return clipGuidedTextToImage(models, guided, hooks)
  if (job.kind !== 'inpaint' || !job.image || !job.keepMask) {
    throw new GlideError(
      'INVALID_ARGUMENT',
      'CLIP guidance works for text to image and inpainting.',
    )
  }
  const keepMask = Float32Array.from(job.keepMask, (value) => value / 255)
  return clipGuidedInpaint(models, { ...guided, image: job.image, keepMask }, hooks)
}

/** The pipeline of the job's kind; RGBA results at the last model's size. */
function runPipeline(job: HostJob, unets: GlideModels, hooks: PipelineHooks): Promise<RgbaImage[]> {
  const { modelId: _modelId, upsampleModelId: _upsampleModelId, ...params } = job.settings
  if (job.kind === 'generate') return textToImage(unets, params, hooks)
  if (!job.image) throw new GlideError('INVALID_ARGUMENT', 'This job needs an image.')
  const keepMask = job.keepMask && Float32Array.from(job.keepMask, (value) => value / 255)
  if (job.kind === 'inpaint') {
    if (!keepMask) throw new GlideError('INVALID_ARGUMENT', 'Inpainting needs a mask.')
    return inpaint(unets, { ...params, image: job.image, keepMask }, hooks)
  }
  if (job.strength === undefined) {
    throw new GlideError('INVALID_ARGUMENT', 'Refining needs a strength.')
  }
  return refine(
    unets,
    { ...params, image: job.image, strength: job.strength, ...(keepMask ? { keepMask } : {}) },
    hooks,
  )
}

/** Serves jobs from main over `channel` until the process ends. */
export function runInferenceHost(channel: ParentChannel<FromHost>): void {
  parent = channel
  parent.onMessage(receive)
  void parent.post({ type: 'ready', pid: process.pid })
}

function receive(raw: unknown): void {
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
  if (message.type === 'releaseModels') {
    if (runningJobId !== null) {
      void parent.post({ type: 'modelsReleased', released: false })
      return
    }
    void models
      .releaseAll()
      .finally(() => void parent.post({ type: 'modelsReleased', released: true }))
    return
  }
  if (runningJobId !== null) {
    void parent.post({
      type: 'failed',
      jobId: message.jobId,
      error: { code: 'INTERNAL', message: 'The inference host is busy with another job.' },
    })
    return
  }
  runningJobId = message.jobId
  run(message.jobId, message.job)
    .catch((error: unknown) => {
      void parent.post({ type: 'failed', jobId: message.jobId, error: serializeError(error) })
    })
    .finally(() => {
      cancelled.delete(message.jobId)
      runningJobId = null
    })
}
