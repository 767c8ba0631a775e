import { describe, expect, it } from 'vitest'
import { zoomText } from '../../../../renderer/src/ui/editor/ZoomReadout'

describe('the zoom readout', () => {
  it('reads in whole percent, with a decimal below 10 %', () => {
    expect(zoomText(1)).toBe('100%')
    expect(zoomText(0.7109375)).toBe('71%')
    expect(zoomText(32)).toBe('3200%')
    expect(zoomText(1 / 64)).toBe('1.6%')
  })
})
