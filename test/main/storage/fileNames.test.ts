import { describe, expect, it } from 'vitest'
import {
  maxSuggestedNameBytes,
  safeFileStem,
  suggestedFileName,
  truncateUtf8,
} from '../../../main/storage/fileNames'

describe('file names (issue 17, item 7)', () => {
  it('replaces characters Windows refuses and drops trailing dots and spaces', () => {
    expect(safeFileStem('a<b>c:d"e/f\\g|h?i*j')).toBe('a_b_c_d_e_f_g_h_i_j')
    expect(safeFileStem('tab\there\u0000')).toBe('tab_here_')
    expect(safeFileStem('sunset. . ')).toBe('sunset')
    expect(safeFileStem('   ')).toBe('Untitled')
    expect(safeFileStem('...')).toBe('Untitled')
  })

  it('prefixes Windows reserved device names, with or without an extension', () => {
    for (const name of ['CON', 'con', 'Nul', 'aux', 'PRN', 'COM1', 'lpt9', 'con.backup', 'COM²']) {
      expect(safeFileStem(name)).toBe(`_${name}`)
    }
    expect(safeFileStem('console')).toBe('console')
    expect(suggestedFileName('nul', '', '.png')).toBe('_nul.png')
  })

  it('shortens long titles at a character boundary so the whole name fits', () => {
    const long = 'ß'.repeat(500)
    const name = suggestedFileName(long, ' - layer', '.glide')
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(maxSuggestedNameBytes)
    expect(name.endsWith('ß.glide')).toBe(true)
    expect(truncateUtf8('a😀b', 3)).toBe('a')
    expect(truncateUtf8('a😀b', 5)).toBe('a😀')
  })
})
