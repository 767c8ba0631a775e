import { useCallback, useEffect, useState } from 'react'

/** What the editor tells the person over the canvas. */
export interface EditorMessageState {
  text: string
  /** A failure stays until dismissed; news ("Saved …") goes after {@link newsShownMs}. */
  failed: boolean
}

const newsShownMs = 8_000

/**
 * The one message over the canvas: `tell` shows news that goes by itself after a while, `fail` a
 * failure that stays until dismissed; either replaces what was shown.
 */
export function useEditorMessage() {
  const [message, setMessage] = useState<EditorMessageState | null>(null)
  const tell = useCallback(
    (text: string | null) => setMessage(text === null ? null : { text, failed: false }),
    [],
  )
  const fail = useCallback((text: string) => setMessage({ text, failed: true }), [])
  useEffect(() => {
    if (!message || message.failed) return
    const timer = setTimeout(
      () => setMessage((current) => (current === message ? null : current)),
      newsShownMs,
    )
    return () => clearTimeout(timer)
  }, [message])
  return { message, tell, fail }
}

/**
 * The message, floating at the top of the canvas area (not above it: a message must not move the
 * picture under the pointer). Failures are alerts.
 */
export function EditorMessage({
  message,
  onDismiss,
}: {
  message: EditorMessageState | null
  onDismiss(): void
}) {
  if (!message) return null
  return (
    <div
      className={`editor-banner editor-message${message.failed ? ' failed' : ''}`}
      role={message.failed ? 'alert' : 'status'}
    >
      <span>{message.text}</span>
      <button type="button" aria-label="Dismiss" onClick={onDismiss}>
        ×
      </button>
    </div>
  )
}
