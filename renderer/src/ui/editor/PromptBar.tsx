import { useId } from 'react'
import type { GenerationSettings } from '../../editor/generation'
import { DiceIcon } from './Icons'

export type PromptSettings = Omit<GenerationSettings, 'mode'>

export interface PromptBarProps {
  settings: PromptSettings
  onChange(settings: PromptSettings): void
  canInpaint: boolean
  pendingJobs: number
  onSubmit(mode: GenerationSettings['mode']): void
}

export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 0
}

/** Prompt and settings for the frame; each submit queues a job with a snapshot of the canvas. */
export function PromptBar({
  settings,
  onChange,
  canInpaint,
  pendingJobs,
  onSubmit,
}: PromptBarProps) {
  const id = useId()
  const set = <K extends keyof PromptSettings>(key: K, value: PromptSettings[K]) =>
    onChange({ ...settings, [key]: value })
  return (
    <form
      className="panel prompt-bar"
      aria-label="Prompt"
      onSubmit={(event) => {
        event.preventDefault()
        onSubmit(canInpaint ? 'inpaint' : 'text-to-image')
      }}
    >
      <label htmlFor={`${id}-prompt`}>Prompt for the frame</label>
      <textarea
        id={`${id}-prompt`}
        rows={2}
        value={settings.prompt}
        maxLength={1000}
        onKeyDown={(event) => event.stopPropagation()}
        onChange={(event) => set('prompt', event.target.value)}
      />
      <div className="prompt-fields">
        <label>
          Seed
          <input
            type="number"
            min={0}
            max={0xffffffff}
            value={settings.seed}
            onKeyDown={(event) => event.stopPropagation()}
            onChange={(event) =>
              set('seed', Math.max(0, Math.floor(Number(event.target.value) || 0)))
            }
          />
        </label>
        <button type="button" aria-label="New seed" onClick={() => set('seed', randomSeed())}>
          <DiceIcon />
        </button>
        <label>
          Variations
          <input
            type="number"
            min={1}
            max={8}
            value={settings.batchSize}
            onKeyDown={(event) => event.stopPropagation()}
            onChange={(event) =>
              set('batchSize', Math.min(8, Math.max(1, Number(event.target.value) || 1)))
            }
          />
        </label>
        <label>
          Guidance
          <input
            type="number"
            step={0.5}
            min={0}
            max={50}
            value={settings.guidanceScale}
            onKeyDown={(event) => event.stopPropagation()}
            onChange={(event) => set('guidanceScale', Number(event.target.value) || 0)}
          />
        </label>
        <label>
          Steps
          <input
            value={settings.baseRespacing}
            size={6}
            onKeyDown={(event) => event.stopPropagation()}
            onChange={(event) => set('baseRespacing', event.target.value)}
          />
        </label>
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={!canInpaint} aria-label="Inpaint">
          Inpaint mask
        </button>
        <button
          type="button"
          onClick={() => onSubmit('text-to-image')}
          aria-label="Generate in frame"
        >
          Generate in frame
        </button>
        {pendingJobs > 0 && <span className="muted">{pendingJobs} queued or running</span>}
      </div>
    </form>
  )
}
