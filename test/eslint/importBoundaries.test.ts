import { existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ESLint } from 'eslint'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * Plants each import the layer rules forbid in a temporary file in the folder the rule protects,
 * lints those files with the project's own eslint.config.js (what `npm run lint` and
 * `npm run check` run) and checks that every one is refused by the boundary rule, while the clean
 * counterparts in the same folders pass with no message at all.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const ruleId = 'boundaries/import-boundaries'

interface Probe {
  readonly what: string
  /** repository-relative folder the probe file is planted in */
  readonly folder: string
  readonly source: string
}

const forbidden: Probe[] = [
  {
    what: 'contract → electron (a runtime)',
    folder: 'contract',
    source: "import * as electron from 'electron'\nexport const probe = electron\n",
  },
  {
    what: 'contract → main',
    folder: 'contract',
    source: "import * as jobs from '../main/jobs/jobQueue'\nexport const probe = jobs\n",
  },
  {
    what: 'renderer → electron',
    folder: 'renderer/src',
    source: "import { ipcRenderer } from 'electron'\nexport const probe = ipcRenderer\n",
  },
  {
    what: 'renderer → onnxruntime-node',
    folder: 'renderer/src/ui',
    source: "import * as ort from 'onnxruntime-node'\nexport const probe = ort\n",
  },
  {
    what: 'renderer → main',
    folder: 'renderer/src/ui',
    source: "import * as jobs from '../../../main/jobs/jobQueue'\nexport const probe = jobs\n",
  },
  {
    what: 'renderer → main (dynamic import)',
    folder: 'renderer/src',
    source: "export const probe = () => import('../../main/jobs/jobQueue')\n",
  },
  {
    what: 'editor engine → React',
    folder: 'renderer/src/editor',
    source: "import { useState } from 'react'\nexport const probe = useState\n",
  },
  {
    what: 'editor engine → bridge',
    folder: 'renderer/src/editor',
    source: "import * as bridge from '../bridge'\nexport const probe = bridge\n",
  },
  {
    what: 'editor engine → UI',
    folder: 'renderer/src/editor/tools',
    source: "import * as view from '../../ui/editor/useEditor'\nexport const probe = view\n",
  },
  {
    what: 'engine → jobs',
    folder: 'main/engine/diffusion',
    source: "import * as jobs from '../../jobs/jobQueue'\nexport const probe = jobs\n",
  },
  {
    what: 'engine → app (re-export)',
    folder: 'main/engine',
    source: "export * from '../app/windowState'\n",
  },
  {
    what: "dynamic import('onnxruntime-node') outside the host",
    folder: 'main/jobs',
    source: "export const probe = () => import('onnxruntime-node')\n",
  },
  {
    what: 'onnxruntime-node in the inference client (static)',
    folder: 'main/inference/client',
    source: "import * as ort from 'onnxruntime-node'\nexport const probe = ort\n",
  },
  {
    what: 'main → renderer',
    folder: 'main/server',
    source:
      "import * as frame from '../../renderer/src/editor/frame'\nexport const probe = frame\n",
  },
  {
    what: 'ipcMain outside main/ipc',
    folder: 'main/app',
    source: "import { ipcMain } from 'electron'\nexport const probe = ipcMain\n",
  },
  {
    what: 'ipcMain through the electron namespace',
    folder: 'main/app',
    source: "import * as electron from 'electron'\nexport const probe = electron.ipcMain\n",
  },
  {
    what: 'imaging → a package',
    folder: 'imaging',
    source: "import * as zod from 'zod'\nexport const probe = zod\n",
  },
  {
    what: 'imaging → main',
    folder: 'imaging',
    source: "import * as jobs from '../main/jobs/jobQueue'\nexport const probe = jobs\n",
  },
  {
    what: 'imaging → renderer',
    folder: 'imaging',
    source: "import * as frame from '../renderer/src/editor/frame'\nexport const probe = frame\n",
  },
]

const clean: Probe[] = [
  {
    what: 'contract → zod and itself',
    folder: 'contract',
    source:
      "import { z } from 'zod'\nimport { zJobImage } from './jobs'\nexport const probe = [z, zJobImage]\n",
  },
  {
    what: 'editor engine → contract and itself',
    folder: 'renderer/src/editor',
    source:
      "import { generationLimits } from '../../../contract/generation'\nimport { autoFitFrame } from './frame'\nexport const probe = [generationLimits, autoFitFrame]\n",
  },
  {
    what: 'UI → editor engine and React',
    folder: 'renderer/src/ui',
    source:
      "import { useState } from 'react'\nimport { autoFitFrame } from '../editor/frame'\nexport const probe = [useState, autoFitFrame]\n",
  },
  {
    what: 'engine → contract',
    folder: 'main/engine',
    source:
      "import { generationLimits } from '../../contract/generation'\nexport const probe = generationLimits\n",
  },
  {
    what: "host → dynamic import('onnxruntime-node')",
    folder: 'main/inference/host',
    source: "export const probe = () => import('onnxruntime-node')\n",
  },
  {
    what: 'main/ipc → ipcMain',
    folder: 'main/ipc',
    source: "import { ipcMain } from 'electron'\nexport const probe = ipcMain\n",
  },
  {
    what: 'imaging → contract',
    folder: 'imaging',
    source:
      "import { generationLimits } from '../contract/generation'\nexport const probe = generationLimits\n",
  },
]

const planted = new Map<Probe, string>()
const createdFolders: string[] = []
let results = new Map<string, ESLint.LintResult>()

beforeAll(async () => {
  const all = [...forbidden, ...clean]
  all.forEach((probe, index) => {
    const directory = path.join(root, probe.folder)
    if (!existsSync(directory)) {
      mkdirSync(directory, { recursive: true })
      createdFolders.push(directory)
    }
    const file = path.join(directory, `lintProbe${process.pid}x${index}.ts`)
    writeFileSync(file, probe.source)
    planted.set(probe, file)
  })
  try {
    const eslint = new ESLint({ cwd: root })
    const lint = await eslint.lintFiles([...planted.values()])
    results = new Map(lint.map((result) => [result.filePath, result]))
  } finally {
    for (const file of planted.values()) rmSync(file, { force: true })
    for (const folder of createdFolders.reverse()) {
      try {
        rmdirSync(folder)
      } catch {
        // someone added real files there meanwhile: rmdir only removes an empty folder
      }
    }
  }
})

afterAll(() => {
  for (const file of planted.values()) rmSync(file, { force: true })
})

function messagesFor(probe: Probe) {
  const file = planted.get(probe)
  const result = file ? results.get(file) : undefined
  if (!result) throw new Error(`no lint result for ${probe.what}`)
  return result.messages
}

describe('import boundaries (eslint.config.js)', () => {
  it.each(forbidden.map((probe) => [probe.what, probe] as const))('refuses %s', (_, probe) => {
    const messages = messagesFor(probe)
    expect(messages.filter((message) => message.fatal)).toEqual([])
    expect(messages.map((message) => message.ruleId)).toContain(ruleId)
  })

  it.each(clean.map((probe) => [probe.what, probe] as const))('allows %s', (_, probe) => {
    expect(messagesFor(probe)).toEqual([])
  })
})
