import { useEffect, useRef, type ReactNode } from 'react'

/**
 * A dialog over the window's right side (fixed, scrolling inside, so it opens in view): focused
 * when it opens, a title and a close button. Esc closes it wherever focus is (a button inside may
 * be replaced as the dialog updates, leaving focus on the page), and only it: the editor's Esc
 * (discard the staged results) does not run.
 */
export function FloatingDialog({
  title,
  className,
  onClose,
  children,
}: {
  title: string
  className: string
  onClose(): void
  children: ReactNode
}) {
  const dialog = useRef<HTMLElement>(null)
  useEffect(() => dialog.current?.focus(), [])
  useEffect(() => {
    const closeOnEscape = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return
      event.stopImmediatePropagation()
      event.preventDefault()
      onClose()
    }
    window.addEventListener('keydown', closeOnEscape, { capture: true })
    return () => window.removeEventListener('keydown', closeOnEscape, { capture: true })
  }, [onClose])
  return (
    <section
      ref={dialog}
      className={`panel floating-dialog ${className}`}
      role="dialog"
      aria-label={title}
      tabIndex={-1}
    >
      <header>
        <h2>{title}</h2>
        <button type="button" onClick={onClose} aria-label={`Close ${title.toLowerCase()}`}>
          ×
        </button>
      </header>
      {children}
    </section>
  )
}
