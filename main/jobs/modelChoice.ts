import { GlideError } from '../../contract/errors'
import type { ModelSummary } from '../../contract/ipc'
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
 * Picks the models for a job: the ones asked for (checked for kind), else the best installed.
 * An upsampler is optional: without one, results stay at the base model's size.
 */
export function chooseModels(
  installed: readonly InstalledModel[],
  kind: JobInput['kind'],
  requested: { modelId?: string | undefined; upsampleModelId?: string | null | undefined },
): ModelChoice {
  const baseKind = kind === 'inpaint' ? 'base-inpaint' : 'base'
  const upsampleKind = kind === 'inpaint' ? 'upsample-inpaint' : 'upsample'
  const pick = (id: string, wanted: string): InstalledModel => {
    const model = installed.find((candidate) => candidate.id === id)
    if (!model) throw new GlideError('MODEL_NOT_FOUND', `No model "${id}" is installed.`)
    if (model.kind !== wanted) {
      throw new GlideError(
        'INVALID_ARGUMENT',
        `Model "${id}" is a ${model.kind} model; this job needs ${wanted}.`,
      )
    }
    return model
  }
  const base =
    requested.modelId !== undefined
      ? pick(requested.modelId, baseKind)
      : best(installed.filter((model) => model.kind === baseKind))
  if (!base) {
    throw new GlideError(
      'MODEL_NOT_FOUND',
      `No ${baseKind} model is installed; import or download one first.`,
    )
  }
  let upsample: InstalledModel | null = null
  if (typeof requested.upsampleModelId === 'string')
    upsample = pick(requested.upsampleModelId, upsampleKind)
  else if (requested.upsampleModelId === undefined) {
    upsample = best(installed.filter((model) => model.kind === upsampleKind)) ?? null
  }
  return { base, upsample }
}
