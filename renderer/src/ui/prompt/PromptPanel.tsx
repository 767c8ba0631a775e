import {
  useEffect,
  useId,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
} from 'react'
import {
  generationDefaults,
  generationLimits,
  generationPresets,
  presetNames,
  randomSeed,
  samplerNames,
  unetPrecisions,
  type GenerationMode,
  type UNetPrecision,
} from '../../../../contract/generation'
import type { ModelSummary } from '../../../../contract/ipc'
import type { JobView, PreferredModels } from '../useGlideState'
import { DiceIcon } from '../editor/Icons'
import {
  noUpsampler,
  clipGuidanceScaleOf,
  guidanceScaleOf,
  presetOfValues,
  shownGuidance,
  speedSettingsOf,
  withGuidance,
  withPreset,
  type PromptProblem,
  type PromptValues,
} from './promptValues'
import { QueueList } from './QueueList'
import { describePreset, describeSpeed, notebookSampler, samplerLabels } from './speedDescription'
import './promptPanel.css'

export interface PromptPanelProps {
  values: PromptValues
  onChange(values: PromptValues): void
  models: readonly ModelSummary[]
  preferredModels: PreferredModels
  /** What Generate will do with the canvas as it is now, in a few words. */
  action: string
  /** The same as a mode: it picks the default guidance. */
  mode: GenerationMode
  /** A refusal of the current values (with its field), or a failed job or submit, as a sentence. */
  problem: PromptProblem | null
  /** How the last job ended when it did not give results (cancelled). */
  notice: string | null
  /** This session's queued and running jobs, oldest first. */
  queue: readonly JobView[]
  onGenerate(): void
  onCancel(jobId: string): void
  /** Opens the Models dialog (where the released GLIDE is downloaded). */
  onOpenModels(): void
}

/**
 * The built-in GLIDE-mini knows a procedural world only (native-models/glide-mini/MODEL_CARD.md):
 * its prompts are about coloured shapes and where they are.
 */
function isGlideMini(modelId: string | null): boolean {
  return modelId?.startsWith('glide-mini-') ?? false
}

/** "Best installed", naming the model it stands for now, or `none` where there is a choice of none. */
function bestInstalledLabel(
  models: readonly ModelSummary[],
  preferredId: string | null,
  none?: string,
): string {
  const preferred = models.find((model) => model.id === preferredId)
  if (preferred) return `Best installed: ${preferred.name}`
  return none ? `Best installed: ${none}` : 'Best installed'
}

const modeNames: Record<GenerationMode, string> = {
  'text-to-image': 'text to image',
  inpaint: 'inpainting',
  refine: 'refining',
}

interface TextInputFieldProps extends Omit<
  InputHTMLAttributes<HTMLInputElement>,
  'id' | 'value' | 'onChange'
> {
  label: string
  id: string
  value: string
  onValue(value: string): void
}

/** A labelled text or number field of the panel's grid. */
function TextInputField({ label, id, value, onValue, ...input }: TextInputFieldProps) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <input id={id} {...input} value={value} onChange={(event) => onValue(event.target.value)} />
    </>
  )
}

/** A checkbox with its text, as the panel shows its on/off settings. */
function CheckboxField({
  label,
  checked,
  onChecked,
}: {
  label: string
  checked: boolean
  onChecked(checked: boolean): void
}) {
  return (
    <label className="check">
      <input
        type="checkbox"
        checked={checked}
        onChange={(event) => onChecked(event.target.checked)}
      />
      {label}
    </label>
  )
}

/**
 * A labelled choice of model: '' for the best installed (named by `bestInstalled`), then any
 * `children` options, then each of `models`.
 */
function ModelSelectField({
  label,
  id,
  value,
  onValue,
  bestInstalled,
  models,
  children,
  ...select
}: {
  label: string
  id: string
  value: string
  onValue(value: string): void
  bestInstalled: string
  models: readonly ModelSummary[]
  children?: ReactNode
} & Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id' | 'value' | 'onChange' | 'children'>) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <select id={id} {...select} value={value} onChange={(event) => onValue(event.target.value)}>
        <option value="">{bestInstalled}</option>
        {children}
        {models.map((model) => (
          <option key={model.id} value={model.id}>
            {model.name}
          </option>
        ))}
      </select>
    </>
  )
}

/**
 * A labelled choice among `choices` (shown by `labels`), with '' first for the setting left out
 * of the job (shown as `emptyLabel`).
 */
function ChoiceSelectField<Choice extends string>({
  label,
  id,
  value,
  onValue,
  choices,
  labels,
  emptyLabel,
  ...select
}: {
  label: string
  id: string
  value: Choice | ''
  onValue(value: Choice | ''): void
  choices: readonly Choice[]
  labels: Record<Choice, string>
  emptyLabel: string
} & Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id' | 'value' | 'onChange' | 'children'>) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        {...select}
        value={value}
        onChange={(event) => onValue(choices.find((name) => name === event.target.value) ?? '')}
      >
        <option value="">{emptyLabel}</option>
        {choices.map((name) => (
          <option key={name} value={name}>
            {labels[name]}
          </option>
        ))}
      </select>
    </>
  )
}

const precisionLabels: Record<UNetPrecision, string> = {
  float32: 'Float 32',
  'int8-upsampler': '8-bit upsampler',
  int8: '8-bit (fastest)',
}

/**
 * The speed presets as one choice (Quality, Fast, and Custom when the sampler settings are the
 * user's own), with what the chosen one sets in words under it.
 */
function SpeedField({
  id,
  values,
  mode,
  onChange,
}: {
  id: string
  values: PromptValues
  mode: GenerationMode
  onChange(values: PromptValues): void
}) {
  const preset = presetOfValues(values)
  const upsampling = values.upsampleModelId !== noUpsampler
  const speedContext = {
    upsampling,
    guidanceMode: values.guidanceMode,
    guidanceScale: guidanceScaleOf(values),
    clipGuidanceScale: clipGuidanceScaleOf(values),
  }
  const labelId = `${id}-speed-label`
  const noteId = `${id}-speed-note`
  const option = (key: string, label: string, selected: boolean, choose: (() => void) | null) => (
    <label key={key} className={selected ? 'speed-option selected' : 'speed-option'}>
      <input
        type="radio"
        name={`${id}-speed`}
        value={key}
        checked={selected}
        disabled={!choose}
        onChange={() => choose?.()}
      />
      {label}
    </label>
  )
  return (
    <>
      <span className="prompt-grid-label" id={labelId}>
        Speed
      </span>
      <div
        className="speed-choice"
        role="radiogroup"
        aria-labelledby={labelId}
        aria-describedby={noteId}
      >
        {presetNames.map((name) =>
          option(name, generationPresets[name].label, preset === name, () =>
            onChange(withPreset(values, name)),
          ),
        )}
        {option('custom', 'Custom', preset === null, null)}
      </div>
      <p className="prompt-hint speed-note" id={noteId}>
        {preset
          ? describePreset(preset, mode, speedContext)
          : describeSpeed(speedSettingsOf(values), mode, speedContext)}
      </p>
    </>
  )
}

/**
 * The one prompt panel: the prompt and every setting of a generation in the frame, Generate and
 * Cancel, and the queue. Limits come from contract/generation; values are checked at Generate.
 */
export function PromptPanel({
  values,
  onChange,
  models,
  preferredModels,
  action,
  mode,
  problem,
  notice,
  queue,
  onGenerate,
  onCancel,
  onOpenModels,
}: PromptPanelProps) {
  const id = useId()
  const shapesOnly = isGlideMini(values.modelId || preferredModels.base)
  const set = <K extends keyof PromptValues>(key: K, value: PromptValues[K]) =>
    onChange({ ...values, [key]: value })
  const baseModels = models.filter(
    (model) => model.kind === 'base' || model.kind === 'base-inpaint',
  )
  const upsamplers = models.filter(
    (model) => model.kind === 'upsample' || model.kind === 'upsample-inpaint',
  )
  const clip = values.guidanceMode === 'clip'
  // Shown while CLIP is chosen even without a CLIP installed (a recalled CLIP-guided layer), so the
  // choice can be undone.
  const offerClip = clip || models.some((model) => model.kind === 'clip-image')
  const running = queue.find((job) => job.summary.state === 'running') ?? null
  const limits = generationLimits
  const fieldId = (field: keyof PromptValues) => `${id}-${field}`
  const errorId = `${id}-error`
  const invalid = (field: keyof PromptValues) =>
    problem?.field === field ? { 'aria-invalid': true, 'aria-errormessage': errorId } : {}

  type TextFieldName = {
    [K in keyof PromptValues]: string extends PromptValues[K] ? K : never
  }[keyof PromptValues]
  const textField = (field: TextFieldName) => ({
    id: fieldId(field),
    ...invalid(field),
    value: values[field],
    onValue: (value: string) => set(field, value),
  })

  const foldedFields: readonly (keyof PromptValues)[] = [
    'baseSampler',
    'guidanceCutoff',
    'guidanceReuseBelow',
    'upsampleSampler',
    'upsampleSteps',
    'upsampleStart',
    'upsampleTemperature',
    'unetPrecision',
  ]
  const foldedProblem = problem?.field ? foldedFields.includes(problem.field) : false

  // A refused value gets the focus, so it can be corrected at once.
  useEffect(() => {
    if (problem?.field) document.getElementById(`${id}-${problem.field}`)?.focus()
  }, [id, problem])

  return (
    <form
      className="prompt-panel"
      aria-label="Prompt panel"
      noValidate
      onSubmit={(event) => {
        event.preventDefault()
        onGenerate()
      }}
      onKeyDown={(event) => {
        // Enter in a field keeps the value and gives the keys back to the canvas (where Enter
        // accepts a staged result) instead of submitting: Ctrl/Cmd+Enter generates.
        const { target } = event
        if (event.key !== 'Enter' || event.ctrlKey || event.metaKey) return
        if (!(target instanceof HTMLInputElement)) return
        event.preventDefault()
        target.blur()
      }}
    >
      <label className="prompt-label" htmlFor={fieldId('prompt')}>
        Prompt
      </label>
      <textarea
        id={fieldId('prompt')}
        {...invalid('prompt')}
        rows={3}
        value={values.prompt}
        maxLength={limits.promptChars}
        placeholder={
          shapesOnly ? 'a red circle above a blue square' : 'a watercolour of a lighthouse at dusk'
        }
        aria-describedby={shapesOnly ? `${id}-action ${id}-model-hint` : `${id}-action`}
        onChange={(event) => set('prompt', event.target.value)}
      />
      <p className="prompt-action" id={`${id}-action`}>
        {action}
      </p>
      {shapesOnly && (
        <p className="prompt-model-hint" id={`${id}-model-hint`}>
          GLIDE-mini, built in, draws coloured shapes (circle, square, triangle, star, heart) and
          where they are. For any other subject,{' '}
          <button type="button" className="link" onClick={onOpenModels}>
            download GLIDE
          </button>
          .
        </p>
      )}
      <div className="prompt-buttons">
        <button type="submit" className="primary" title="Generate (Ctrl+Enter)">
          Generate
        </button>
        <button
          type="button"
          disabled={!running}
          title="Stop the running job after its current step"
          onClick={() => running && onCancel(running.summary.id)}
        >
          Cancel
        </button>
      </div>
      {problem && (
        <p role="alert" className="prompt-error" id={errorId}>
          {problem.message}
        </p>
      )}
      {notice && (
        <p role="status" className="prompt-notice">
          {notice}
        </p>
      )}
      <QueueList jobs={queue} onCancel={onCancel} />

      <div className="prompt-grid">
        <ModelSelectField
          label="Model"
          {...textField('modelId')}
          bestInstalled={bestInstalledLabel(models, preferredModels.base)}
          models={baseModels}
        />
        <ModelSelectField
          label="Upsampler"
          {...textField('upsampleModelId')}
          bestInstalled={bestInstalledLabel(
            models,
            preferredModels.upsample,
            // The base is known and no installed upsampler takes its size: none is what runs.
            preferredModels.base === null ? undefined : 'none (base size)',
          )}
          models={upsamplers}
        >
          <option value={noUpsampler}>None (base size)</option>
        </ModelSelectField>
        <SpeedField id={id} values={values} mode={mode} onChange={onChange} />
        {offerClip && (
          <>
            <label htmlFor={fieldId('guidanceMode')}>Guided by</label>
            <select
              id={fieldId('guidanceMode')}
              {...invalid('guidanceMode')}
              value={values.guidanceMode}
              onChange={(event) =>
                onChange(
                  withGuidance(values, {
                    guidanceMode: event.target.value === 'clip' ? 'clip' : 'classifier-free',
                  }),
                )
              }
            >
              <option value="classifier-free">Classifier-free</option>
              <option value="clip">CLIP</option>
            </select>
          </>
        )}
        {clip ? (
          <>
            <TextInputField
              label="CLIP guidance"
              {...textField('clipGuidanceScale')}
              type="number"
              min={limits.clipGuidanceScale.min}
              max={limits.clipGuidanceScale.max}
              step={0.5}
            />
          </>
        ) : (
          <>
            <label htmlFor={fieldId('guidanceScale')}>Guidance</label>
            <input
              id={fieldId('guidanceScale')}
              {...invalid('guidanceScale')}
              type="number"
              min={limits.guidanceScale.min}
              max={limits.guidanceScale.max}
              step={0.5}
              value={shownGuidance(values, mode)}
              aria-describedby={`${id}-guidance-note`}
              onChange={(event) =>
                onChange(
                  withGuidance(values, {
                    guidanceScale: event.target.value,
                    guidanceFollowsMode: false,
                  }),
                )
              }
            />
            <p className="prompt-hint" id={`${id}-guidance-note`}>
              {values.guidanceFollowsMode ? (
                `Default for ${modeNames[mode]}`
              ) : (
                <button
                  type="button"
                  className="link"
                  onClick={() => onChange(withGuidance(values, { guidanceFollowsMode: true }))}
                >
                  Use the default for {modeNames[mode]} ({generationDefaults.guidanceByMode[mode]})
                </button>
              )}
            </p>
          </>
        )}
        <TextInputField
          label="Steps"
          {...textField('steps')}
          type="text"
          inputMode="numeric"
          maxLength={limits.respacingChars}
          title={`Sampler steps of the base model: ${limits.steps.min} to ${limits.steps.max}, or fast27, ddimN, sections like 3,17; +N splits the noisiest step`}
        />
        <TextInputField
          label="Variations"
          {...textField('batchSize')}
          type="number"
          min={limits.batchSize.min}
          max={limits.batchSize.max}
        />
        <label htmlFor={fieldId('seed')}>Seed</label>
        <div className="seed-row">
          <input
            id={fieldId('seed')}
            {...invalid('seed')}
            type="text"
            inputMode="numeric"
            className="seed-input"
            size={11}
            value={values.seed}
            disabled={values.newSeedEachRun}
            onChange={(event) => set('seed', event.target.value.trim())}
          />
          <button
            type="button"
            className="icon-button"
            aria-label="New seed"
            title="New seed"
            onClick={() => set('seed', String(randomSeed()))}
          >
            <DiceIcon />
          </button>
        </div>
        <CheckboxField
          label="New seed each run"
          checked={values.newSeedEachRun}
          onChecked={(checked) => set('newSeedEachRun', checked)}
        />
      </div>

      <fieldset className="prompt-section">
        <legend>
          <CheckboxField
            label="Refine the frame"
            checked={values.refine}
            onChecked={(checked) => set('refine', checked)}
          />
        </legend>
        {values.refine && (
          <div className="strength-row">
            <TextInputField
              label="Strength"
              {...textField('strength')}
              type="range"
              min={limits.strength.min}
              max={limits.strength.max}
              step={0.01}
            />
            <output htmlFor={fieldId('strength')}>{Number(values.strength).toFixed(2)}</output>
          </div>
        )}
      </fieldset>

      <fieldset className="prompt-section prompt-grid">
        <legend>Mask</legend>
        <TextInputField
          label="Feather (px)"
          {...textField('featherPx')}
          type="number"
          min={limits.featherPx.min}
          max={limits.featherPx.max}
          placeholder="Auto"
        />
        <CheckboxField
          label="Colour match"
          checked={values.colourMatch}
          onChecked={(checked) => set('colourMatch', checked)}
        />
      </fieldset>

      <details
        className="prompt-section"
        // Opened for a refused value inside, so the message points at a field in view.
        open={foldedProblem || undefined}
      >
        <summary>Sampler and upsampler settings</summary>
        <div className="prompt-grid">
          <ChoiceSelectField
            label="Base sampler"
            id={fieldId('baseSampler')}
            {...invalid('baseSampler')}
            value={values.baseSampler}
            onValue={(sampler) => set('baseSampler', sampler)}
            choices={samplerNames}
            labels={samplerLabels}
            emptyLabel={`Notebook (${samplerLabels[notebookSampler('base', mode)]})`}
          />
          <TextInputField
            label="Guidance cutoff"
            {...textField('guidanceCutoff')}
            type="number"
            min={limits.guidanceCutoff.min}
            max={limits.guidanceCutoff.max}
            step={0.05}
            placeholder="Every step"
            title={`Guidance only at t ≥ cutoff · T (${limits.guidanceCutoff.min} to ${limits.guidanceCutoff.max}); empty = every step`}
          />
          <TextInputField
            label="Guidance reuse below"
            {...textField('guidanceReuseBelow')}
            type="number"
            min={limits.guidanceReuseBelow.min}
            max={limits.guidanceReuseBelow.max}
            step={0.05}
            placeholder="Never"
            title={`Below t = value · T (and above the cutoff) the unconditional rows run every other step, their direction reused between (${limits.guidanceReuseBelow.min} to ${limits.guidanceReuseBelow.max}); empty = never. Faster, but it loses accuracy at high guidance (inpainting at 5)`}
          />
          <ChoiceSelectField
            label="U-Net precision"
            id={fieldId('unetPrecision')}
            {...invalid('unetPrecision')}
            value={values.unetPrecision}
            onValue={(precision) => set('unetPrecision', precision)}
            choices={unetPrecisions}
            labels={precisionLabels}
            emptyLabel="Default (float 32)"
            title="8-bit runs a calibrated copy of the model, 2-3× faster per step on CPU, made once per model folder (a few minutes at the official size); the base in 8 bits loses some accuracy at high guidance. GPUs always run float 32"
          />
          <ChoiceSelectField
            label="Upsampler sampler"
            id={fieldId('upsampleSampler')}
            {...invalid('upsampleSampler')}
            value={values.upsampleSampler}
            onValue={(sampler) => set('upsampleSampler', sampler)}
            choices={samplerNames}
            labels={samplerLabels}
            emptyLabel={`Notebook (${samplerLabels[notebookSampler('upsample', mode)]})`}
          />
          <TextInputField
            label="Upsampler steps"
            {...textField('upsampleSteps')}
            type="text"
            maxLength={limits.respacingChars}
          />
          <TextInputField
            label="Upsampler start"
            {...textField('upsampleStart')}
            type="number"
            min={limits.upsampleStart.min}
            max={limits.upsampleStart.max}
            step={0.05}
            placeholder="Model's own"
            title={`Start from the low-res image noised to t = start · T (${limits.upsampleStart.min} to ${limits.upsampleStart.max}); empty = the upsampler's own start`}
          />
          <TextInputField
            label="Temperature"
            {...textField('upsampleTemperature')}
            type="number"
            min={limits.upsampleTemperature.min}
            max={limits.upsampleTemperature.max}
            step={0.001}
          />
        </div>
      </details>
    </form>
  )
}
