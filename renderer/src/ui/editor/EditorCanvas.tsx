import { useEffect, useRef } from 'react'
import type { Editor } from '../../editor/Editor'
import { CanvasRenderer, type StepPreview } from './CanvasRenderer'

export interface EditorCanvasProps {
  editor: Editor
  /** Files dropped on the canvas, with the document point they were dropped at. */
  onDropFiles(files: File[], at: { x: number; y: number }): void
  /** The running job's preview, drawn over the frame it was queued with. */
  progress: StepPreview | null
  /** A press the tool refused, with why (Paint on a locked layer, say). */
  onRefused(message: string): void
}

/** The Konva canvas plus pointer, wheel and resize wiring; all state lives in the editor. */
export function EditorCanvas({ editor, onDropFiles, progress, onRefused }: EditorCanvasProps) {
  const hostRef = useRef<HTMLDivElement>(null)
  const rendererRef = useRef<CanvasRenderer | null>(null)
  const stageRef = useRef<HTMLDivElement>(null)

  useEffect(() => {
    const host = hostRef.current
    const stageContainer = stageRef.current
    if (!host || !stageContainer) return
    const bounds = host.getBoundingClientRect()
    editor.setViewportSize(bounds.width, bounds.height)
    editor.zoomToFit()
    const renderer = new CanvasRenderer(editor, stageContainer, bounds)
    rendererRef.current = renderer
    const local = (event: { clientX: number; clientY: number }) => {
      const rect = host.getBoundingClientRect()
      return { x: event.clientX - rect.left, y: event.clientY - rect.top }
    }
    const toolEvent = (event: PointerEvent) =>
      editor.pointerEvent(local(event), event.button, {
        shiftKey: event.shiftKey,
        altKey: event.altKey,
        modKey: event.ctrlKey || event.metaKey,
      })
    const down = (event: PointerEvent) => {
      host.setPointerCapture(event.pointerId)
      host.focus()
      editor.pointerDown(toolEvent(event))
      event.preventDefault()
    }
    const move = (event: PointerEvent) => {
      const events = event.getCoalescedEvents?.() ?? []
      for (const coalesced of events.length > 0 ? events : [event]) {
        editor.pointerMove({ ...toolEvent(coalesced), button: event.button })
      }
      renderer.showCursor(local(event))
      host.style.cursor = editor.cursorAt(local(event)) ?? ''
    }
    const up = (event: PointerEvent) => {
      if (host.hasPointerCapture(event.pointerId)) host.releasePointerCapture(event.pointerId)
      editor.pointerUp(toolEvent(event))
    }
    const leave = () => renderer.showCursor(null)
    const wheel = (event: WheelEvent) => {
      event.preventDefault()
      editor.zoomAt(local(event), Math.exp(-event.deltaY * 0.0015))
    }
    const observer = new ResizeObserver(() => {
      const next = host.getBoundingClientRect()
      editor.setViewportSize(next.width, next.height)
      renderer.resize(next.width, next.height)
    })
    observer.observe(host)
    host.addEventListener('pointerdown', down)
    host.addEventListener('pointermove', move)
    host.addEventListener('pointerup', up)
    host.addEventListener('pointercancel', up)
    host.addEventListener('pointerleave', leave)
    host.addEventListener('wheel', wheel, { passive: false })
    return () => {
      observer.disconnect()
      host.removeEventListener('pointerdown', down)
      host.removeEventListener('pointermove', move)
      host.removeEventListener('pointerup', up)
      host.removeEventListener('pointercancel', up)
      host.removeEventListener('pointerleave', leave)
      host.removeEventListener('wheel', wheel)
      rendererRef.current = null
      renderer.destroy()
    }
  }, [editor])

  useEffect(() => {
    rendererRef.current?.showProgress(progress)
  }, [editor, progress])

  return (
    <div
      ref={hostRef}
      className="editor-canvas"
      data-testid="editor.canvas"
      role="application"
      aria-label="Canvas"
      tabIndex={0}
      onContextMenu={(event) => event.preventDefault()}
      // After the tool had the press (the host's own listener runs first): a Paint tool still
      // idle (not painting, not picking a colour) was refused; say why.
      onPointerDown={(event) => {
        const refusal = editor.paintRefusal
        if (event.button === 0 && editor.toolState === 'paint.idle' && refusal) onRefused(refusal)
      }}
      onDragOver={(event) => {
        if (event.dataTransfer.types.includes('Files')) event.preventDefault()
      }}
      onDrop={(event) => {
        const files = [...event.dataTransfer.files]
        if (files.length === 0) return
        event.preventDefault()
        const rect = event.currentTarget.getBoundingClientRect()
        onDropFiles(
          files,
          editor.viewport.toDocument({ x: event.clientX - rect.left, y: event.clientY - rect.top }),
        )
      }}
    >
      <div ref={stageRef} className="editor-stage" />
    </div>
  )
}
