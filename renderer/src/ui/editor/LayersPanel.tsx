import { useState } from 'react'
import type { GenerationInfo } from '../../../../contract/documents'
import type { Editor } from '../../editor/Editor'
import { DuplicateIcon, EyeIcon, LockIcon, PlusIcon, TrashIcon } from './Icons'
import { useEditorSnapshot } from './useEditor'

export interface LayersPanelProps {
  editor: Editor
  /** "Use these settings": puts a generated layer's prompt, seed and settings back in the prompt bar. */
  onRecall(generation: GenerationInfo): void
}

/** The layer stack, top first: select, rename, show/hide, lock, opacity, drag to reorder. */
export function LayersPanel({ editor, onRecall }: LayersPanelProps) {
  useEditorSnapshot(editor)
  const [dragged, setDragged] = useState<string | null>(null)
  const [renaming, setRenaming] = useState<string | null>(null)
  const layers = [...editor.layers].reverse()
  const active = editor.activeLayer
  return (
    <section className="panel layers-panel" aria-label="Layers">
      <header>
        <h2>Layers</h2>
        <div className="layer-actions">
          <button
            type="button"
            disabled={editor.layerRoom < 1}
            onClick={() => editor.addLayer()}
            aria-label="Add layer"
          >
            <PlusIcon />
          </button>
          <button
            type="button"
            disabled={!active || editor.layerRoom < 1}
            onClick={() => active && editor.duplicateLayer(active.id)}
            aria-label="Duplicate layer"
          >
            <DuplicateIcon />
          </button>
          <button
            type="button"
            disabled={!active || active.locked}
            onClick={() => active && editor.deleteLayer(active.id)}
            aria-label="Delete layer"
          >
            <TrashIcon />
          </button>
        </div>
      </header>
      <ol className="layer-list">
        {layers.map((layer) => (
          <li
            key={layer.id}
            className={layer.id === active?.id ? 'layer active' : 'layer'}
            data-testid="layers.item"
            aria-label={layer.name}
            aria-selected={layer.id === active?.id}
            draggable={!layer.locked}
            onClick={() => editor.selectLayer(layer.id)}
            onDragStart={(event) => {
              setDragged(layer.id)
              event.dataTransfer.effectAllowed = 'move'
            }}
            onDragOver={(event) => {
              if (dragged) event.preventDefault()
            }}
            onDrop={(event) => {
              event.preventDefault()
              if (dragged && dragged !== layer.id)
                editor.moveLayer(dragged, editor.document.layerIndex(layer.id))
              setDragged(null)
            }}
            onDragEnd={() => setDragged(null)}
          >
            <button
              type="button"
              className="icon"
              aria-label={layer.visible ? `Hide ${layer.name}` : `Show ${layer.name}`}
              aria-pressed={layer.visible}
              onClick={(event) => {
                event.stopPropagation()
                editor.setLayerVisible(layer.id, !layer.visible)
              }}
            >
              <EyeIcon open={layer.visible} />
            </button>
            {renaming === layer.id ? (
              <input
                aria-label="Layer name"
                defaultValue={layer.name}
                autoFocus
                onBlur={(event) => {
                  editor.renameLayer(layer.id, event.target.value)
                  setRenaming(null)
                }}
                onKeyDown={(event) => {
                  event.stopPropagation()
                  if (event.key === 'Enter') event.currentTarget.blur()
                  if (event.key === 'Escape') setRenaming(null)
                }}
              />
            ) : (
              <span
                className="layer-name"
                onDoubleClick={() => setRenaming(layer.id)}
                title={layer.name}
              >
                {layer.name}
              </span>
            )}
            <input
              type="range"
              aria-label={`Opacity of ${layer.name}`}
              min={0}
              max={100}
              defaultValue={Math.round(layer.opacity * 100)}
              key={`${layer.id}-${layer.opacity}`}
              onClick={(event) => event.stopPropagation()}
              onPointerUp={(event) =>
                editor.setLayerOpacity(layer.id, Number(event.currentTarget.value) / 100)
              }
              onKeyUp={(event) =>
                editor.setLayerOpacity(layer.id, Number(event.currentTarget.value) / 100)
              }
            />
            <button
              type="button"
              className="icon"
              aria-label={layer.locked ? `Unlock ${layer.name}` : `Lock ${layer.name}`}
              aria-pressed={layer.locked}
              onClick={(event) => {
                event.stopPropagation()
                editor.setLayerLocked(layer.id, !layer.locked)
              }}
            >
              <LockIcon locked={layer.locked} />
            </button>
          </li>
        ))}
      </ol>
      {active?.generation && (
        <dl className="layer-details" aria-label="Layer details">
          <dt>Prompt</dt>
          <dd>{active.generation.prompt}</dd>
          <dt>Seed</dt>
          <dd>{active.generation.seed}</dd>
          <dt>Guidance</dt>
          <dd>{active.generation.guidanceScale}</dd>
          <dt>Steps</dt>
          <dd>
            {active.generation.baseRespacing} / {active.generation.upsampleRespacing}
          </dd>
          <dt>Model</dt>
          <dd>{active.generation.model || 'default'}</dd>
          <dt>Frame</dt>
          <dd>
            {active.generation.frame.width}² at {active.generation.frame.x},{' '}
            {active.generation.frame.y}
          </dd>
          <button type="button" onClick={() => active.generation && onRecall(active.generation)}>
            Use these settings
          </button>
        </dl>
      )}
    </section>
  )
}
