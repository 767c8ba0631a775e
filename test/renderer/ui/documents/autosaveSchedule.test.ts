import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { EditorChange } from '../../../../renderer/src/editor/Editor'
import { AutosaveSchedule } from '../../../../renderer/src/ui/documents/autosaveSchedule'

const changes = (...list: EditorChange[]) => new Set(list)

describe('when the editor autosaves', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('saves a while after the last change, not for pans and zooms', () => {
    let saves = 0
    const schedule = new AutosaveSchedule(() => saves++, 5000)
    schedule.changed(changes('viewport'))
    schedule.changed(changes('tool', 'display'))
    vi.advanceTimersByTime(10_000)
    expect(saves).toBe(0)
    schedule.changed(changes('pixels'))
    vi.advanceTimersByTime(4000)
    schedule.changed(changes('layers', 'viewport'))
    vi.advanceTimersByTime(4000)
    expect(saves).toBe(0)
    vi.advanceTimersByTime(1000)
    expect(saves).toBe(1)
  })

  it('saves at once after an accept, even when more changes follow straight away', () => {
    let saves = 0
    const schedule = new AutosaveSchedule(() => saves++, 5000)
    schedule.changed(changes('staging', 'accepted'))
    // Selecting the new layer, a thumbnail: these must not push the save back by 5 s.
    schedule.changed(changes('layers'))
    schedule.changed(changes('pixels'))
    vi.advanceTimersByTime(1)
    expect(saves).toBe(1)
    schedule.changed(changes('mask'))
    vi.advanceTimersByTime(5000)
    expect(saves).toBe(2)
    schedule.changed(changes('mask'))
    schedule.dispose()
    vi.advanceTimersByTime(10_000)
    expect(saves).toBe(2)
  })
})
