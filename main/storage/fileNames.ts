/** File names that every desktop file system accepts: Windows' rules are the strictest. */

/** Most file systems cap a name at 255 bytes (ext4, APFS: UTF-8 bytes; NTFS: UTF-16 units). */
export const maxNameBytes = 255
/** Suggested names stay well under the cap, leaving room for " (12)" and a temp suffix. */
export const maxSuggestedNameBytes = 180

const windowsReserved = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i
const forbiddenCharacters = new Set(['<', '>', ':', '"', '/', '\\', '|', '?', '*'])

/** The longest prefix of `text` whose UTF-8 form fits `maxBytes`, never splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  let bytes = 0
  let result = ''
  for (const char of text) {
    const size = Buffer.byteLength(char, 'utf8')
    if (bytes + size > maxBytes) break
    bytes += size
    result += char
  }
  return result
}

/**
 * A name stem safe on Windows, macOS and Linux: control characters and `<>:"/\|?*` become `_`,
 * trailing dots and spaces go (Windows drops them), reserved device names (CON, NUL, COM1…, also
 * with an extension after them) get a leading `_`, and the stem is shortened to `maxBytes`.
 */
export function safeFileStem(title: string, maxBytes = maxSuggestedNameBytes): string {
  const cleaned = Array.from(title, (char) =>
    char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f || forbiddenCharacters.has(char)
      ? '_'
      : char,
  ).join('')
  let stem = truncateUtf8(cleaned.trim(), maxBytes).replace(/[. ]+$/, '')
  if (!stem) stem = 'Untitled'
  const device = stem.split('.')[0]?.trim() ?? ''
  if (windowsReserved.test(device)) stem = `_${stem}`
  return truncateUtf8(stem, maxBytes)
}

/** `stem + suffix + extension`, sanitised and shortened so the whole name fits. */
export function suggestedFileName(title: string, suffix: string, extension: string): string {
  const tailBytes = Buffer.byteLength(extension, 'utf8')
  const stem = safeFileStem(`${title}${suffix}`, maxSuggestedNameBytes - tailBytes)
  return `${stem}${extension}`
}
