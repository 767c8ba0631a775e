import { describe, expect, it, vi } from 'vitest'
import { zMenuCommand } from '../../../contract/ipc'
import {
  actionDefinitions,
  chordMatches,
  describeChord,
} from '../../../renderer/src/editor/actions'
import { Editor } from '../../../renderer/src/editor/Editor'
import { solidImage, testEditor } from './helpers'

describe('the action registry', () => {
  it('lists every action once, with a label, and the shortcuts panel lists the same ones', () => {
    const editor = Editor.blank(32, 32)
    const ids = editor.actions.list().map((action) => action.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(actionDefinitions.map((action) => action.id)).toEqual(ids)
    for (const action of editor.actions.list()) expect(action.label.length).toBeGreaterThan(0)
    expect(actionDefinitions.find((action) => action.id === 'edit.undo')?.shortcut).toBe(
      'Ctrl/Cmd+Z',
    )
  })

  it('keeps the accessible names the UI and its tests use', () => {
    const labels = new Map(actionDefinitions.map((action) => [action.id, action.label]))
    expect(labels.get('tool.rect-mask')).toBe('Rectangle mask')
    expect(labels.get('tool.brush')).toBe('Brush')
    expect(labels.get('tool.move')).toBe('Move')
    expect(labels.get('file.open')).toBe('Open')
    expect(labels.get('file.save')).toBe('Save')
    expect(labels.get('results.accept')).toBe('Accept')
  })

  it('runs every app menu command through an action', () => {
    const editor = testEditor(64, 64)
    const handlers = { 'file.open': vi.fn(), 'file.save': vi.fn(), 'file.export-png': vi.fn() }
    editor.actions.bind(handlers)
    editor.addLayer()
    for (const command of zMenuCommand.options) {
      expect(editor.actions.list().some((action) => action.menuCommand === command)).toBe(true)
    }
    expect(editor.actions.runMenuCommand('open')).toBe(true)
    expect(editor.actions.runMenuCommand('save')).toBe(true)
    expect(editor.actions.runMenuCommand('export')).toBe(true)
    expect(handlers['file.open']).toHaveBeenCalledTimes(1)
    expect(handlers['file.save']).toHaveBeenCalledTimes(1)
    expect(handlers['file.export-png']).toHaveBeenCalledTimes(1)
    expect(editor.layers).toHaveLength(2)
    expect(editor.actions.runMenuCommand('undo')).toBe(true)
    expect(editor.layers).toHaveLength(1)
    expect(editor.actions.runMenuCommand('redo')).toBe(true)
    expect(editor.layers).toHaveLength(2)
    const scale = editor.viewport.scale
    editor.actions.runMenuCommand('zoomIn')
    expect(editor.viewport.scale).toBeCloseTo(scale * 1.25)
    editor.actions.runMenuCommand('zoomOut')
    expect(editor.viewport.scale).toBeCloseTo(scale)
  })

  it('app actions are disabled until the view binds them, and again after it unbinds', () => {
    const editor = testEditor(16, 16)
    const help = editor.actions.get('view.shortcuts')
    expect(help.enabled()).toBe(false)
    expect(editor.keyDown({ key: '?', shiftKey: true })).toBe(false)
    const toggle = vi.fn()
    const unbind = editor.actions.bind({ 'view.shortcuts': toggle })
    expect(help.enabled()).toBe(true)
    expect(editor.keyDown({ key: '?', shiftKey: true })).toBe(true)
    expect(toggle).toHaveBeenCalledTimes(1)
    unbind()
    expect(help.enabled()).toBe(false)
    expect(() => editor.actions.bind({ 'edit.undo': toggle })).toThrow(/not an app action/)
  })

  it('Ctrl/Cmd+Enter generates (once bound), Enter alone accepts, Ctrl/Cmd+C copies', () => {
    const editor = testEditor(16, 16)
    const generate = vi.fn()
    const copy = vi.fn()
    const copyMerged = vi.fn()
    editor.actions.bind({
      'generate.run': generate,
      'edit.copy': copy,
      'edit.copy-merged': copyMerged,
    })
    expect(editor.keyDown({ key: 'Enter', ctrlKey: true })).toBe(true)
    expect(editor.keyDown({ key: 'Enter', metaKey: true })).toBe(true)
    expect(generate).toHaveBeenCalledTimes(2)
    // Nothing staged: Enter alone has nothing to accept and is left to the page.
    expect(editor.keyDown({ key: 'Enter' })).toBe(false)
    expect(generate).toHaveBeenCalledTimes(2)
    expect(editor.keyDown({ key: 'c', ctrlKey: true })).toBe(true)
    expect(editor.keyDown({ key: 'C', ctrlKey: true, shiftKey: true })).toBe(true)
    expect([copy.mock.calls.length, copyMerged.mock.calls.length]).toEqual([1, 1])
    expect(editor.actions.runMenuCommand('copyMerged')).toBe(true)
    expect(copyMerged).toHaveBeenCalledTimes(2)
  })

  it('Ctrl/Cmd+S saves; Ctrl/Cmd+Shift+S and the menu Save As save to a new file', () => {
    const editor = testEditor(16, 16)
    const save = vi.fn()
    const saveAs = vi.fn()
    editor.actions.bind({ 'file.save': save, 'file.save-as': saveAs })
    expect(editor.keyDown({ key: 's', ctrlKey: true })).toBe(true)
    expect(editor.keyDown({ key: 'S', metaKey: true, shiftKey: true })).toBe(true)
    expect(editor.actions.runMenuCommand('saveAs')).toBe(true)
    expect([save.mock.calls.length, saveAs.mock.calls.length]).toEqual([1, 2])
  })

  it('in a text field only Generate, Save, Save as and Open take their keys', () => {
    const editor = testEditor(16, 16)
    const generate = vi.fn()
    const save = vi.fn()
    const copy = vi.fn()
    editor.actions.bind({ 'generate.run': generate, 'file.save': save, 'edit.copy': copy })
    const inField = (input: Parameters<typeof editor.keyDown>[0]) =>
      editor.actions.handleKey(input, true)
    expect(inField({ key: 'Enter', ctrlKey: true })).toBe(true)
    expect(inField({ key: 's', metaKey: true })).toBe(true)
    expect([generate.mock.calls.length, save.mock.calls.length]).toEqual([1, 1])
    // Copy, undo, tools and Escape belong to the field there.
    expect(inField({ key: 'c', ctrlKey: true })).toBe(false)
    expect(inField({ key: 'z', ctrlKey: true })).toBe(false)
    expect(inField({ key: 'b' })).toBe(false)
    expect(inField({ key: 'Escape' })).toBe(false)
    expect(copy).not.toHaveBeenCalled()
    expect(editor.toolId).toBe('brush')
    const inTextFields = editor.actions
      .list()
      .filter((action) => action.inTextFields)
      .map((action) => action.id)
    expect(inTextFields).toEqual(['file.open', 'file.save', 'file.save-as', 'generate.run'])
  })

  it('arrow keys browse results, except with the Move tool where they nudge', () => {
    const editor = testEditor(300, 300)
    editor.fillMaskRect({ x: 100, y: 100, width: 40, height: 40 })
    const request = editor.captureGeneration({
      prompt: 'x',
      batchSize: 2,
      guidanceScale: 3,
      baseRespacing: '20',
      upsampleRespacing: 'fast27',
      upsampleTemperature: 1,
      seed: 1,
      model: '',
    })
    editor.stageResults(request, [
      solidImage(256, 256, [255, 0, 0, 255]),
      solidImage(256, 256, [0, 255, 0, 255]),
    ])
    expect(editor.keyDown({ key: 'ArrowRight' })).toBe(true)
    expect(editor.stagedBatch?.index).toBe(1)
    editor.setTool('move')
    const bounds = editor.layers[0]!.raster.contentBounds()
    expect(editor.keyDown({ key: 'ArrowRight' })).toBe(true)
    expect(editor.stagedBatch?.index).toBe(1)
    expect(editor.layers[0]!.raster.contentBounds()).toEqual({ ...bounds!, x: 1, width: 299 })
    expect(editor.keyDown({ key: 'Enter' })).toBe(true)
    expect(editor.layers).toHaveLength(2)
  })

  it('disabled actions do not run and leave the key to the page', () => {
    const editor = testEditor(16, 16)
    expect(editor.actions.get('edit.undo').enabled()).toBe(false)
    expect(editor.keyDown({ key: 'z', ctrlKey: true })).toBe(false)
    expect(editor.actions.run('layer.merge-down')).toBe(false)
    expect(editor.keyDown({ key: 'Enter' })).toBe(false)
  })

  it('matches chords with Ctrl or Cmd, Shift only where it is not part of the character', () => {
    expect(chordMatches({ key: 'z', mod: true }, { key: 'Z', metaKey: true, shiftKey: true })).toBe(
      false,
    )
    expect(chordMatches({ key: 'z', mod: true }, { key: 'z', metaKey: true })).toBe(true)
    expect(
      chordMatches(
        { key: 'z', mod: true, shift: true },
        { key: 'Z', ctrlKey: true, shiftKey: true },
      ),
    ).toBe(true)
    expect(chordMatches({ key: '?' }, { key: '?', shiftKey: true })).toBe(true)
    expect(chordMatches({ key: 'b' }, { key: 'b', altKey: true })).toBe(false)
    expect(describeChord({ key: 'e', mod: true, shift: true })).toBe('Ctrl/Cmd+Shift+E')
    expect(describeChord({ key: 'ArrowLeft' })).toBe('←')
  })
})
