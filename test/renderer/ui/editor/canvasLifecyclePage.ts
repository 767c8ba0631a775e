/**
 * Runs in Chromium (bundled by CanvasRenderer.test.ts): mounts each canvas module and the whole
 * renderer on a real Konva stage, draws, destroys, and reports what is left behind.
 */
import Konva from 'konva'
import { Editor } from '../../../../renderer/src/editor/Editor'
import type { CanvasModule } from '../../../../renderer/src/ui/editor/canvas/CanvasModule'
import { CheckerboardModule } from '../../../../renderer/src/ui/editor/canvas/CheckerboardModule'
import { CursorModule } from '../../../../renderer/src/ui/editor/canvas/CursorModule'
import { FrameModule } from '../../../../renderer/src/ui/editor/canvas/FrameModule'
import { LayerTilesModule } from '../../../../renderer/src/ui/editor/canvas/LayerTilesModule'
import { MaskOverlayModule } from '../../../../renderer/src/ui/editor/canvas/MaskOverlayModule'
import { ProgressPreviewModule } from '../../../../renderer/src/ui/editor/canvas/ProgressPreviewModule'
import { RectPreviewModule } from '../../../../renderer/src/ui/editor/canvas/RectPreviewModule'
import { StagingModule } from '../../../../renderer/src/ui/editor/canvas/StagingModule'
import { CanvasRenderer } from '../../../../renderer/src/ui/editor/CanvasRenderer'

export interface ModuleLifecycle {
  name: string
  /** nodes the module put on its layer */
  nodesMounted: number
  /** nodes still on the layer after destroy() */
  nodesLeft: number
}

export interface RendererLifecycle {
  modules: ModuleLifecycle[]
  /** Konva nodes under the stage once drawn */
  stageNodes: number
  /** elements Konva put in the container */
  containerChildrenBefore: number
  containerChildrenAfter: number
  stageRegisteredBefore: boolean
  stageRegisteredAfter: boolean
  /** frames drawn after an editor change, while mounted and after destroy() */
  framesForChangeWhileMounted: number
  framesForChangeAfterDestroy: number
}

function nextFrames(count: number): Promise<void> {
  return new Promise((resolve) => {
    const step = (left: number) =>
      left === 0 ? resolve() : requestAnimationFrame(() => step(left - 1))
    step(count)
  })
}

function editorWithContent(): Editor {
  const editor = Editor.blank(512, 512, 'lifecycle')
  editor.layers[0]?.raster.ensureTile(0).fill(255)
  editor.fillMaskRect({ x: 0, y: 0, width: 300, height: 300 })
  editor.setViewportSize(400, 400)
  editor.zoomToFit()
  return editor
}

async function run(): Promise<RendererLifecycle> {
  const host = document.getElementById('host') as HTMLDivElement

  const editor = editorWithContent()
  const modules: [string, CanvasModule][] = [
    ['checkerboard', new CheckerboardModule(editor)],
    ['layer tiles', new LayerTilesModule(editor)],
    ['mask overlay', new MaskOverlayModule(editor)],
    ['staging', new StagingModule(editor)],
    ['step preview', new ProgressPreviewModule()],
    ['frame', new FrameModule(editor)],
    ['rectangle preview', new RectPreviewModule(editor)],
    ['brush cursor', new CursorModule(editor)],
  ]
  const scratchStage = new Konva.Stage({ container: host, width: 400, height: 400 })
  const report: ModuleLifecycle[] = []
  for (const [name, module] of modules) {
    const layer = new Konva.Layer({ listening: false })
    scratchStage.add(layer)
    module.mount(layer)
    const nodesMounted = layer.getChildren().length
    module.update({
      changes: new Set(['viewport', 'pixels', 'mask', 'frame', 'staging', 'tool', 'canvas']),
      dirty: { all: true, composite: [], compositeRegions: new Map(), mask: [] },
    })
    layer.draw()
    module.destroy()
    report.push({ name, nodesMounted, nodesLeft: layer.getChildren().length })
  }
  scratchStage.destroy()

  const rendered = editorWithContent()
  const renderer = new CanvasRenderer(rendered, host, { width: 400, height: 400 })
  await nextFrames(2)
  const stage = renderer.stage
  const stageNodes = stage.find(() => true).length
  const containerChildrenBefore = host.children.length
  const stageRegisteredBefore = Konva.stages.includes(stage)
  let frames = renderer.framesDrawn
  rendered.setBrushSize(40)
  await nextFrames(3)
  const framesForChangeWhileMounted = renderer.framesDrawn - frames
  renderer.destroy()
  frames = renderer.framesDrawn
  rendered.setBrushSize(20)
  rendered.fillMaskRect({ x: 0, y: 0, width: 100, height: 100 })
  await nextFrames(3)
  return {
    modules: report,
    stageNodes,
    containerChildrenBefore,
    containerChildrenAfter: host.children.length,
    stageRegisteredBefore,
    stageRegisteredAfter: Konva.stages.includes(stage),
    framesForChangeWhileMounted,
    framesForChangeAfterDestroy: renderer.framesDrawn - frames,
  }
}

;(window as unknown as { runCanvasLifecycle: typeof run }).runCanvasLifecycle = run
