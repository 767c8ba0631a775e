import { appHost, appScheme } from '../ipc/senderGuard'
import { mimeType, securityHeaders } from '../server/csp'
import { readStaticFile } from '../server/staticFiles'

/** Registered before the app is ready, so app:// behaves like https (secure, standard origin). */
export const appSchemePrivileges = {
  scheme: appScheme,
  privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
} as const

/**
 * Serves the built renderer on app://glide/ instead of file://: only files inside `rendererDir`,
 * only GET, every response with the CSP.
 */
export function createAppProtocolHandler(
  rendererDir: string,
): (request: Request) => Promise<Response> {
  const refuse = (status: number) => new Response(null, { status, headers: securityHeaders })
  return async (request) => {
    let url: URL
    try {
      url = new URL(request.url)
    } catch {
      return refuse(400)
    }
    if (url.protocol !== `${appScheme}:` || url.host !== appHost) return refuse(403)
    if (request.method !== 'GET') return refuse(405)
    const file = await readStaticFile(rendererDir, url.pathname)
    if (!file) return refuse(404)
    return new Response(new Uint8Array(file.body), {
      status: 200,
      headers: { 'Content-Type': mimeType(file.path), ...securityHeaders },
    })
  }
}
