import { useEffect, useRef } from 'react'
import type { Editor } from '../../editor/Editor'
import { useEditorSnapshot } from './useEditor'

/**
 * The undo history as a list, oldest first: a click on a step goes back (or forward) to just
 * after it, as many undos or redos at once; the steps undone stay listed, dimmed, until a new
 * change replaces them. Folded away until opened.
 */
export function HistoryPanel({ editor }: { editor: Editor }) {
  const changeCount = useEditorSnapshot(editor)
  const list = useRef<HTMLOListElement>(null)
  const { done, undone, droppedOldest } = editor.historySteps
  // The newest steps are at the bottom of a long list: keep the current one in view.
  useEffect(() => {
    const steps = list.current
    const current = steps?.querySelector<HTMLElement>('[aria-current]')
    if (!steps || !current) return
    // Scrolls the list only (the side column stays where the person left it).
    const top = current.offsetTop
    const bottom = top + current.offsetHeight
    if (top < steps.scrollTop) steps.scrollTop = top
    else if (bottom > steps.scrollTop + steps.clientHeight) {
      steps.scrollTop = bottom - steps.clientHeight
    }
  }, [changeCount])
  const step = (label: string, count: number, state: 'done' | 'current' | 'undone') => (
    <li key={count} className={`history-step ${state}`}>
      <button
        type="button"
        aria-current={state === 'current' ? 'step' : undefined}
        onClick={() => editor.goToHistoryStep(count)}
      >
        {label}
      </button>
    </li>
  )
  return (
    <details className="panel history-panel">
      <summary>
        History <span className="history-count">{done.length}</span>
      </summary>
      <ol ref={list} aria-label="History">
        {step(droppedOldest ? 'Oldest kept' : 'Start', 0, done.length === 0 ? 'current' : 'done')}
        {done.map((label, index) =>
          step(label, index + 1, index === done.length - 1 ? 'current' : 'done'),
        )}
        {undone.map((label, index) => step(label, done.length + index + 1, 'undone'))}
      </ol>
    </details>
  )
}
