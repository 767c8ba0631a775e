import { useEffect, useState } from 'react'
import type { GlideApi, ModelSummary } from '../../../../contract/ipc'
import {
  finishedInstallStages,
  type InstallProgress,
  type OfficialModelEntry,
  type OfficialModelUse,
} from '../../../../contract/modelInstalls'
import { unwrap } from '../../bridge'
import { FloatingDialog } from '../FloatingDialog'
import type { ModelInstallsState } from './useModelInstalls'
import './models.css'

const useLabels: Record<OfficialModelUse, string> = {
  'text-to-image': 'Text to image',
  inpainting: 'Inpainting',
  'clip-guidance': 'CLIP guidance',
}

const useHints: Record<OfficialModelUse, string> = {
  'text-to-image': 'A 64 px base and the upsampler that takes it to 256 px.',
  inpainting: 'The same pair trained to fill a masked region.',
  'clip-guidance': 'The noised CLIP encoders that steer the base towards the caption.',
}

export function formatBytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`
}

/** What a row says about its install, in words. */
export function installWords(progress: InstallProgress): string {
  switch (progress.stage) {
    case 'queued':
      return 'Waiting for the download before it'
    case 'downloading': {
      const received = Math.round(progress.receivedBytes / 1e6)
      if (progress.totalBytes === null || progress.totalBytes === 0) {
        return `Downloading: ${received} MB`
      }
      const percent = Math.floor((100 * progress.receivedBytes) / progress.totalBytes)
      return `Downloading: ${received} of ${Math.round(progress.totalBytes / 1e6)} MB (${percent} %)`
    }
    case 'checking':
      return 'Checking the checkpoint'
    case 'hashing':
      return 'Hashing the checkpoint'
    case 'converting':
      return 'Converting to ONNX'
    case 'finishing':
      return 'Finishing'
    case 'done':
      return 'Installed'
    case 'failed':
      return progress.error?.message ?? 'The install failed.'
    case 'cancelled':
      return progress.receivedBytes > 0
        ? `Stopped; the ${Math.round(progress.receivedBytes / 1e6)} MB downloaded are kept and Download resumes from there.`
        : 'Stopped.'
  }
}

function isRunning(progress: InstallProgress | null): boolean {
  return progress !== null && !finishedInstallStages.has(progress.stage)
}

function OfficialRow({
  model,
  installs,
}: {
  model: OfficialModelEntry
  installs: ModelInstallsState
}) {
  const progress = model.install
  const running = isRunning(progress)
  const failed = progress?.stage === 'failed'
  return (
    <li className="official-model" data-testid="official-model" aria-label={model.name}>
      <div className="official-model-head">
        <span className="official-model-name">{model.name}</span>
        <span className="muted">{formatBytes(model.downloadBytes)}</span>
        {model.installed ? (
          <span className="installed-badge">Installed</span>
        ) : running ? (
          <button type="button" onClick={() => void installs.cancel(model.key)}>
            Cancel
          </button>
        ) : (
          <button type="button" onClick={() => void installs.install([model.key])}>
            {failed ? 'Retry' : 'Download'}
          </button>
        )}
      </div>
      {running && progress && (
        <progress
          aria-label={`${model.name} progress`}
          max={progress.stage === 'downloading' ? (progress.totalBytes ?? undefined) : undefined}
          value={progress.stage === 'downloading' ? progress.receivedBytes : undefined}
        />
      )}
      {progress && !model.installed && progress.stage !== 'done' && (
        <p
          className={failed ? 'install-status install-error' : 'install-status muted'}
          role={failed ? 'alert' : 'status'}
          data-testid="install-status"
        >
          {installWords(progress)}
        </p>
      )}
    </li>
  )
}

/**
 * The models dialog: where models live, the released GLIDE checkpoints with Download, progress and
 * Cancel, and every folder installed (with the problem of one that cannot be used).
 */
export function ModelsDialog({
  glide,
  installs,
  onClose,
  onChooseFolder,
}: {
  glide: GlideApi
  installs: ModelInstallsState
  onClose(): void
  /** Desktop only: picks another models folder. */
  onChooseFolder?: () => void
}) {
  const [installed, setInstalled] = useState<ModelSummary[] | null>(null)
  const [removal, setRemoval] = useState<{ text: string; failed: boolean } | null>(null)
  const { official } = installs
  const folderIds = official?.folders.map((folder) => folder.id).join('/') ?? ''
  const folderBytes = new Map(official?.folders.map((folder) => [folder.id, folder.bytes]))
  useEffect(() => {
    let current = true
    void unwrap(glide.models.list({}))
      .then((list) => current && setInstalled(list.models))
      .catch(() => current && setInstalled([]))
    return () => {
      current = false
    }
  }, [glide, folderIds, official?.modelsDir])
  const { refresh } = installs
  useEffect(() => void refresh(), [refresh])

  const remove = (model: ModelSummary, bytes: number) => {
    const modelsDir = official?.modelsDir ?? ''
    const separator = modelsDir.includes('\\') ? '\\' : '/'
    const folder = `${modelsDir}${separator}${model.id}`
    if (
      !window.confirm(`Remove ${model.name}?\n\nThis deletes ${folder} (${formatBytes(bytes)}).`)
    ) {
      return
    }
    setRemoval(null)
    installs.remove(model.id).then(
      (freed) => {
        // The list is read again once main's folders change; until then it must not offer the
        // model the message says is gone.
        setInstalled((list) => list?.filter((each) => each.id !== model.id) ?? list)
        setRemoval({ text: `Removed ${model.name}: ${formatBytes(freed)} freed.`, failed: false })
      },
      (failure: Error) => setRemoval({ text: failure.message, failed: true }),
    )
  }

  const missing = official?.models.filter((model) => !model.installed && !isRunning(model.install))
  const missingBytes = missing?.reduce((sum, model) => sum + model.downloadBytes, 0) ?? 0
  const groups = (['text-to-image', 'inpainting', 'clip-guidance'] as const).map((use) => ({
    use,
    models: official?.models.filter((model) => model.use === use) ?? [],
  }))

  return (
    <FloatingDialog title="Models" className="models-dialog" onClose={onClose}>
      <p className="models-folder">
        <span className="muted">Models folder</span>
        <code data-testid="models-folder">{official?.modelsDir ?? '…'}</code>
        {onChooseFolder && (
          <button type="button" onClick={onChooseFolder}>
            Change…
          </button>
        )}
      </p>
      <h3>GLIDE (filtered), released by OpenAI</h3>
      <p className="muted">
        Each checkpoint is downloaded once and converted to ONNX on this computer (a minute or so
        each). A stopped download resumes where it left off. GLIDE-mini ships with the app and needs
        nothing.
      </p>
      {missing && missing.length > 1 && (
        <button
          type="button"
          className="primary"
          onClick={() => void installs.install(missing.map((model) => model.key))}
        >
          Download all missing ({missing.length}, {formatBytes(missingBytes)})
        </button>
      )}
      {official === null ? (
        <p className="muted">Reading the list…</p>
      ) : (
        groups.map(({ use, models }) => (
          <section key={use} className="official-group" aria-label={useLabels[use]}>
            <h4>{useLabels[use]}</h4>
            <p className="muted">{useHints[use]}</p>
            <ul>
              {models.map((model) => (
                <OfficialRow key={model.key} model={model} installs={installs} />
              ))}
            </ul>
          </section>
        ))
      )}
      <h3>Installed</h3>
      {removal && (
        <p
          className={removal.failed ? 'install-error' : 'install-status muted'}
          role={removal.failed ? 'alert' : 'status'}
          data-testid="removal-status"
        >
          {removal.text}
        </p>
      )}
      <ul className="installed-models" aria-label="Installed models">
        {(installed ?? []).map((model) => {
          const bytes = folderBytes.get(model.id)
          return (
            <li
              key={`${model.id}-${model.name}`}
              data-testid="installed-model"
              aria-label={model.id}
            >
              <span className="installed-model-name">{model.name}</span>
              {bytes !== undefined && (
                <>
                  <span className="muted">{formatBytes(bytes)}</span>
                  <button type="button" onClick={() => remove(model, bytes)}>
                    Remove
                  </button>
                </>
              )}
              <span className="muted installed-model-details">
                {model.id} · {model.kind} · {model.imageSize} px
                {model.official ? ' · official' : ''}
                {bytes === undefined ? ' · ships with the app' : ''}
              </span>
              {model.problem && (
                <span className="install-error installed-model-details">{model.problem}</span>
              )}
            </li>
          )
        })}
      </ul>
    </FloatingDialog>
  )
}
