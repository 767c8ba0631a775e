import type { ReactNode } from 'react'
import { useEffect, useRef, useState } from 'react'
import type { GenerationInfo } from '../../../../contract/documents'
import type { Editor } from '../../editor/Editor'
import type { Layer } from '../../editor/EditorDocument'
import { DuplicateIcon, EyeIcon, LockIcon, PlusIcon, TrashIcon } from './Icons'
import { ActionButton } from './Toolbar'
import { useEditorSnapshot } from './useEditor'
import './editorActions.css'

const actionIcons: Partial<Record<string, ReactNode>> = {
  'layer.add': <PlusIcon />,
  'layer.duplicate': <DuplicateIcon />,
  'layer.delete': <TrashIcon />,
}

/** The engine's small picture of one layer, on a transparency checkerboard. */
function LayerThumbnail({ editor, layer }: { editor: Editor; layer: Layer }) {
  const canvas = useRef<HTMLCanvasElement>(null)
  const thumbnail = editor.layerThumbnail(layer.id)
  useEffect(() => {
    const context = canvas.current?.getContext('2d')
    if (!context || !thumbnail) return
    const pixels = new ImageData(thumbnail.width, thumbnail.height)
    pixels.data.set(thumbnail.data)
    context.putImageData(pixels, 0, 0)
  }, [thumbnail])
  return (
    <canvas
      ref={canvas}
      className="layer-thumbnail"
      data-testid="layers.thumbnail"
      aria-hidden="true"
      width={thumbnail?.width ?? 1}
      height={thumbnail?.height ?? 1}
    />
  )
}

export interface LayersPanelProps {
  editor: Editor
  /** "Use these settings": puts a generated layer's prompt, seed and settings back in the prompt bar. */
  onRecall(generation: GenerationInfo): void
}

/**
 * The variation number at the end of a generated layer's name ("prompt (seed #2)"): shown apart,
 * so that a long prompt cut short in the list still says which variation the layer is.
 */
function variationOf(name: string): string | null {
  return /\s#(\d+)\)$/.exec(name)?.[1] ?? null
}

/**
 * The layer stack, top first, each with its thumbnail: select, rename, show/hide, lock, opacity,
 * drag to reorder; add, duplicate, delete, merge down and flatten come from the action registry.
 */
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
          {editor.actions
            .inGroup('layers')
            .filter((action) => !action.id.startsWith('layer.nudge-'))
            .map((action) => (
              <ActionButton key={action.id} action={action}>
                {actionIcons[action.id]}
              </ActionButton>
            ))}
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
              className="icon layer-visibility"
              aria-label={layer.visible ? `Hide ${layer.name}` : `Show ${layer.name}`}
              aria-pressed={layer.visible}
              onClick={(event) => {
                event.stopPropagation()
                editor.setLayerVisible(layer.id, !layer.visible)
              }}
            >
              <EyeIcon open={layer.visible} />
            </button>
            <LayerThumbnail editor={editor} layer={layer} />
            {renaming === layer.id ? (
              <input
                aria-label="Layer name"
                defaultValue={layer.name}
                autoFocus
                // The whole name, selected, so that typing replaces it (as in other editors).
                onFocus={(event) => event.currentTarget.select()}
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
                <span className="layer-name-text">{layer.name}</span>
                {variationOf(layer.name) && (
                  <span className="layer-variation" data-testid="layer-variation">
                    #{variationOf(layer.name)}
                  </span>
                )}
              </span>
            )}
            <input
              type="range"
              className="layer-opacity"
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
              className="icon layer-lock"
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
          <dd>
            {active.generation.guidanceMode === 'clip'
              ? `CLIP ${active.generation.clipGuidanceScale ?? ''}`.trim()
              : active.generation.guidanceScale}
          </dd>
          <dt>Steps</dt>
          <dd>
            {active.generation.baseRespacing} / {active.generation.upsampleRespacing}
          </dd>
          <dt>Model</dt>
          <dd data-testid="layer-models">
            {active.generation.modelIds?.join(' → ') || active.generation.model || 'best installed'}
          </dd>
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
