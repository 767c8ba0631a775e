/** The origin the desktop renderer is served from (main/app registers the protocol). */
export const appScheme = 'app'
export const appHost = 'glide'
export const appOrigin = `${appScheme}://${appHost}`

/** The parts of Electron's WebFrameMain the guard reads. */
export interface SenderFrame {
  readonly url: string
  readonly parent: unknown
}

/**
 * True only for the top frame of a page served from app://glide/. Subframes, about:blank,
 * file://, other hosts and destroyed frames (null) are refused.
 */
export function isAppSender(frame: SenderFrame | null | undefined): boolean {
  if (!frame || frame.parent !== null) return false
  try {
    const url = new URL(frame.url)
    return url.protocol === `${appScheme}:` && url.host === appHost
  } catch {
    return false
  }
}
