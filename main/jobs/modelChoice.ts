import { GlideError } from '../../contract/errors'
import type { ModelSummary } from '../../contract/ipc'
import type { ModelKind } from '../engine/glideOptions'
import type { JobInput } from '../../contract/jobs'

/** An installed model and the models directory that holds its folder. */
export interface InstalledModel extends ModelSummary {
  readonly modelsDir: string
}

export interface ModelChoice {
  base: InstalledModel
  upsample: InstalledModel | null
}

/** Official weights first; otherwise the order given (the user's models dir before bundled ones). */
function best(models: readonly InstalledModel[]): InstalledModel | undefined {
  return models.find((model) => model.official) ?? models[0]
}

/**
 * The kinds that can serve each stage of a job, preferred first. An inpainting model given an
 * all-zero keep mask is a text-to-image model (GLIDE-mini ships only inpainting kinds), and a
 * plain model can inpaint by having the known region forced back at each step.
 */
const stageKinds = {
  generate: { base: ['base', 'base-inpaint'], upsample: ['upsample', 'upsample-inpaint'] },
  inpaint: { base: ['base-inpaint', 'base'], upsample: ['upsample-inpaint', 'upsample'] },
  refine: { base: ['base-inpaint', 'base'], upsample: ['upsample-inpaint', 'upsample'] },
} as const satisfies Record<JobInput['kind'], Record<'base' | 'upsample', readonly ModelKind[]>>

/**
 * Picks the models for a job: the ones asked for (checked for kind), else the best installed.
 * An upsampler is optional (without one, results stay at the base model's size) and must upsample
 * the base's image size ×4.
 */
export function chooseModels(
  installed: readonly InstalledModel[],
  kind: JobInput['kind'],
  requested: { modelId?: string | undefined; upsampleModelId?: string | null | undefined },
): ModelChoice {
  const kinds = stageKinds[kind]
  const usable = installed.filter((model) => model.problem === undefined)
  const pick = (id: string, wanted: readonly ModelKind[]): InstalledModel => {
    const model = usable.find((candidate) => candidate.id === id)
    const unusable = installed.find((candidate) => candidate.id === id && candidate.problem)
    if (!model && unusable) {
      throw new GlideError('MODEL_INVALID', `Model "${id}" cannot be used: ${unusable.problem}`)
    }
    if (!model) throw new GlideError('MODEL_NOT_FOUND', `No model "${id}" is installed.`)
    if (!wanted.includes(model.kind)) {
      throw new GlideError(
        'INVALID_ARGUMENT',
        `Model "${id}" is a ${model.kind} model; this needs ${wanted.join(' or ')}.`,
      )
    }
    return model
  }
  const bestOf = (
    wanted: readonly ModelKind[],
    fits: (model: InstalledModel) => boolean = () => true,
  ): InstalledModel | undefined => {
    for (const modelKind of wanted) {
      const found = best(usable.filter((model) => model.kind === modelKind && fits(model)))
      if (found) return found
    }
    return undefined
  }
  const base =
    requested.modelId !== undefined ? pick(requested.modelId, kinds.base) : bestOf(kinds.base)
  if (!base) {
    throw new GlideError(
      'MODEL_NOT_FOUND',
      `No ${kinds.base[0]} model is installed; import or download one first.`,
    )
  }
  // An upsampler takes the base's images as its low_res input: it must make 4× their size.
  const fitsBase = (model: InstalledModel) => model.imageSize === base.imageSize * 4
  let upsample: InstalledModel | null = null
  if (typeof requested.upsampleModelId === 'string') {
    upsample = pick(requested.upsampleModelId, kinds.upsample)
    if (!fitsBase(upsample)) {
      throw new GlideError(
        'INVALID_ARGUMENT',
        `Upsampler "${upsample.id}" makes ${upsample.imageSize} px images from ${upsample.imageSize / 4} px ones; "${base.id}" makes ${base.imageSize} px images.`,
      )
    }
  } else if (requested.upsampleModelId === undefined) {
    upsample = bestOf(kinds.upsample, fitsBase) ?? null
  }
  return { base, upsample }
}
