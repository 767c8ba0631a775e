import type { BrowserWindow, Rectangle } from 'electron'
import type { WindowBounds } from '../../contract/settings'

/** Bounds that are still visible on one of the current displays; otherwise null (use defaults). */
export function visibleBounds(
  saved: WindowBounds | null,
  displays: readonly Rectangle[],
): WindowBounds | null {
  if (!saved) return null
  const overlaps = displays.some(
    (area) =>
      saved.x < area.x + area.width - 50 &&
      saved.x + saved.width > area.x + 50 &&
      saved.y < area.y + area.height - 50 &&
      saved.y + saved.height > area.y,
  )
  return overlaps ? saved : null
}

/** Saves the window's normal bounds (not the maximised ones) shortly after it moves or resizes. */
export function trackWindowBounds(
  window: BrowserWindow,
  save: (bounds: WindowBounds) => void,
): void {
  let timer: NodeJS.Timeout | null = null
  const capture = () => {
    if (window.isDestroyed() || window.isMinimized()) return
    const { x, y, width, height } = window.getNormalBounds()
    save({ x, y, width, height, maximized: window.isMaximized() })
  }
  const schedule = () => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(capture, 500)
  }
  window.on('resize', schedule)
  window.on('move', schedule)
  window.on('maximize', schedule)
  window.on('unmaximize', schedule)
  window.on('close', () => {
    if (timer) clearTimeout(timer)
    capture()
  })
}
