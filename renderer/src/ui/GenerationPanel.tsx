import { useId, useState, type FormEvent } from 'react'
import type { SamplingSettings } from '../../../contract/jobs'
import type { GenerationDefaults } from '../../../contract/settings'
import type { ModelSummary } from '../../../contract/ipc'
import type { PreferredModels } from './useGlideState'

export interface GenerationPanelProps {
  /** The saved defaults the fields start from. */
  defaults: GenerationDefaults
  models: ModelSummary[]
  preferredModels: PreferredModels
  busy: boolean
  onGenerate(settings: SamplingSettings): void
  onCancel(): void
  onCancelAll(): void
}

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 0
}

/** "Best installed", naming the model it stands for now. */
function bestInstalledLabel(models: readonly ModelSummary[], preferredId: string | null): string {
  const preferred = models.find((model) => model.id === preferredId)
  return preferred ? `Best installed: ${preferred.name}` : 'Best installed'
}

/** The prompt and its settings; "Generate" queues a job with a snapshot of them. */
export function GenerationPanel({
  defaults,
  models,
  preferredModels,
  busy,
  onGenerate,
  onCancel,
  onCancelAll,
}: GenerationPanelProps) {
  const id = useId()
  const [prompt, setPrompt] = useState('')
  const [guidanceScale, setGuidanceScale] = useState(defaults.guidanceScale)
  const [steps, setSteps] = useState(defaults.baseRespacing)
  const [upsampleSteps, setUpsampleSteps] = useState(defaults.upsampleRespacing)
  const [seed, setSeed] = useState(randomSeed)
  const [batchSize, setBatchSize] = useState(defaults.batchSize)
  const [modelId, setModelId] = useState('')
  const [upsampleModelId, setUpsampleModelId] = useState('')

  // Inpainting models generate from text too (with nothing to keep).
  const baseModels = models.filter(
    (model) => model.kind === 'base' || model.kind === 'base-inpaint',
  )
  const upsamplers = models.filter(
    (model) => model.kind === 'upsample' || model.kind === 'upsample-inpaint',
  )

  const submit = (event: FormEvent) => {
    event.preventDefault()
    onGenerate({
      prompt,
      guidanceScale,
      baseRespacing: steps.trim(),
      upsampleRespacing: upsampleSteps.trim(),
      upsampleTemperature: defaults.upsampleTemperature,
      seed,
      batchSize,
      ...(modelId ? { modelId } : {}),
      ...(upsampleModelId === 'none'
        ? { upsampleModelId: null }
        : upsampleModelId
          ? { upsampleModelId }
          : {}),
    })
  }

  return (
    <form className="panel generation-panel" onSubmit={submit} aria-label="Generation settings">
      <label htmlFor={`${id}-prompt`}>Prompt</label>
      <textarea
        id={`${id}-prompt`}
        value={prompt}
        maxLength={1000}
        rows={4}
        placeholder="an oil painting of a corgi"
        onChange={(event) => setPrompt(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) submit(event)
        }}
      />
      <div className="field-grid">
        <label htmlFor={`${id}-model`}>Model</label>
        <select
          id={`${id}-model`}
          value={modelId}
          onChange={(event) => setModelId(event.target.value)}
        >
          <option value="">{bestInstalledLabel(models, preferredModels.base)}</option>
          {baseModels.map((model) => (
            <option key={model.id} value={model.id}>
              {model.name}
            </option>
          ))}
        </select>
        <label htmlFor={`${id}-upsampler`}>Upsampler</label>
        <select
          id={`${id}-upsampler`}
          value={upsampleModelId}
          onChange={(event) => setUpsampleModelId(event.target.value)}
        >
          <option value="">{bestInstalledLabel(models, preferredModels.upsample)}</option>
          <option value="none">None (base size)</option>
          {upsamplers.map((model) => (
            <option key={model.id} value={model.id}>
              {model.name}
            </option>
          ))}
        </select>
        <label htmlFor={`${id}-guidance`}>Guidance scale</label>
        <input
          id={`${id}-guidance`}
          type="number"
          min={0}
          max={50}
          step={0.5}
          value={guidanceScale}
          onChange={(event) => setGuidanceScale(Number(event.target.value))}
        />
        <label htmlFor={`${id}-steps`}>Steps</label>
        <input
          id={`${id}-steps`}
          type="text"
          inputMode="numeric"
          value={steps}
          title='Sampling steps of the base model: a number, or a respacing such as "fast27"'
          onChange={(event) => setSteps(event.target.value)}
        />
        <label htmlFor={`${id}-upsample-steps`}>Upsample steps</label>
        <input
          id={`${id}-upsample-steps`}
          type="text"
          value={upsampleSteps}
          onChange={(event) => setUpsampleSteps(event.target.value)}
        />
        <label htmlFor={`${id}-seed`}>Seed</label>
        <div className="seed-row">
          <input
            id={`${id}-seed`}
            type="number"
            min={0}
            max={4294967295}
            value={seed}
            onChange={(event) => setSeed(Number(event.target.value))}
          />
          <button
            type="button"
            onClick={() => setSeed(randomSeed())}
            aria-label="Random seed"
            title="Random seed"
          >
            ⟳
          </button>
        </div>
        <label htmlFor={`${id}-batch`}>Batch size</label>
        <input
          id={`${id}-batch`}
          type="number"
          min={1}
          max={8}
          value={batchSize}
          onChange={(event) => setBatchSize(Number(event.target.value))}
        />
      </div>
      <div className="actions">
        <button type="submit" className="primary">
          Generate
        </button>
        <button type="button" onClick={onCancel} disabled={!busy}>
          Cancel
        </button>
        <button type="button" onClick={onCancelAll} disabled={!busy}>
          Cancel all
        </button>
      </div>
    </form>
  )
}
