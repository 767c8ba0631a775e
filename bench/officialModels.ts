/**
 * Official-size GLIDE models with random weights, made once and cached for the benches that need
 * the same weights in the app and in PyTorch (vsTorch.ts, wholeImage.ts, officialConvergence.ts):
 *
 * 1. bench/torch/glide_torch.py `make` builds the U-Net in PyTorch from a fixed seed and saves it
 *    with torch.save (`<cache>/<kind>-seed<N>.pt`);
 * 2. the app's importer (importCheckpoint, the CLI's `import`) turns that checkpoint into a model
 *    folder (`<cache>/bench-<kind>-seed<N>/`), which the app's loader opens.
 *
 * The cache is `$GLIDE_BENCH_CACHE`, else `<tmpdir>/glide-bench-official`; about 3 GB per kind
 * (checkpoint, ONNX folder, and the optimised-graph cache the first load writes into the folder).
 */
import { spawnSync } from 'node:child_process'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { modelFormat, type ModelManifest } from '../contract/model'
import {
  clipArchitecture,
  clipExpectedTensors,
  releasedClipOptions,
  type ClipEncoderKind,
} from '../main/engine/clip/clipOptions'
import { officialOptions, type UNetKind } from '../main/engine/glideOptions'
import { writeClipOnnx } from '../main/engine/onnx/clipGraphs'
import { SeededTensorSource } from '../main/engine/seededTensorSource'
import { appIntraOpThreads } from '../main/inference/host/executionProviders'
import { loadGlideUNet, type OnnxGlideUNet } from '../main/inference/host/onnxGlideUNet'
import { importCheckpoint } from '../main/models/importer'
import { writeManifest } from '../main/models/modelFolder'

export const benchPython = process.env.GLIDE_BENCH_PYTHON ?? '/usr/bin/python3'
export const torchScript = fileURLToPath(new URL('torch/glide_torch.py', import.meta.url))
export const benchSeed = 1

export function benchCacheDir(): string {
  return process.env.GLIDE_BENCH_CACHE ?? join(tmpdir(), 'glide-bench-official')
}

export interface OfficialModelPaths {
  checkpoint: string
  folder: string
}

export function officialModelPaths(kind: UNetKind, seed = benchSeed): OfficialModelPaths {
  const cache = benchCacheDir()
  return {
    checkpoint: join(cache, `${kind}-seed${seed}.pt`),
    folder: join(cache, `bench-${kind}-seed${seed}`),
  }
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null
}

/** Runs glide_torch.py and returns its JSON line; throws with its stderr when it fails. */
export function runTorchScript<T>(args: string[], niceness?: number): T {
  const command = niceness === undefined ? benchPython : 'nice'
  const commandArgs =
    niceness === undefined
      ? [torchScript, ...args]
      : ['-n', String(niceness), benchPython, torchScript, ...args]
  const child = spawnSync(command, commandArgs, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  })
  const line = child.stdout
    .split('\n')
    .reverse()
    .find((text) => text.startsWith('{'))
  if (child.status !== 0 || !line) {
    throw new Error(`glide_torch.py ${args[0] ?? ''} exited with ${child.status}`)
  }
  return JSON.parse(line) as T
}

/**
 * The cached model folder of `kind` (made on first use: PyTorch checkpoint, then the app's import).
 * `log` hears what is being made, which takes minutes at the official size.
 */
export async function ensureOfficialModel(
  kind: UNetKind,
  log: (line: string) => void = console.log,
  seed = benchSeed,
): Promise<OfficialModelPaths> {
  const paths = officialModelPaths(kind, seed)
  await mkdir(benchCacheDir(), { recursive: true })
  if (!(await exists(paths.checkpoint))) {
    log(`making the ${kind} checkpoint in PyTorch (seed ${seed}): ${paths.checkpoint}`)
    const made = runTorchScript<{ parameters: number; seconds: number }>([
      'make',
      '--kind',
      kind,
      '--options',
      JSON.stringify(officialOptions(kind)),
      '--seed',
      String(seed),
      '--out',
      paths.checkpoint,
    ])
    log(`  ${(made.parameters / 1e6).toFixed(2)} M parameters in ${made.seconds.toFixed(1)} s`)
  }
  if (!(await exists(join(paths.folder, 'model.json')))) {
    log(`importing it with the app's importer: ${paths.folder}`)
    const start = performance.now()
    await importCheckpoint({
      kind,
      checkpointPath: paths.checkpoint,
      outDir: paths.folder,
      name: `Bench ${kind} (random weights, PyTorch seed ${seed})`,
      license: 'Random weights made by bench/torch/glide_torch.py; no licence needed.',
    })
    log(`  imported in ${((performance.now() - start) / 1000).toFixed(1)} s`)
  }
  return paths
}

/**
 * Writes a released-size noised CLIP encoder (random weights from a fixed seed) with the app's ONNX
 * writer into `dir`, with its manifest, as an installed CLIP folder looks.
 */
export async function writeOfficialClipFolder(kind: ClipEncoderKind, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true })
  const tensors = clipExpectedTensors(clipArchitecture(kind, releasedClipOptions))
  const written = await writeClipOnnx(
    kind,
    releasedClipOptions,
    new SeededTensorSource(tensors),
    dir,
  )
  const files: Record<string, string> = {}
  for (const [role, path] of Object.entries(written.graphs)) {
    files[role] = path.slice(dir.length + 1)
  }
  files[kind === 'clip-image' ? 'image_data' : 'text_data'] = written.externalData.slice(
    dir.length + 1,
  )
  const manifest: ModelManifest = {
    format: modelFormat,
    id: dir.split('/').pop() ?? kind,
    name: `bench ${kind}`,
    kind,
    options: releasedClipOptions,
    tokenizer: 'clip-bpe',
    diffusion: { steps: 1000, noiseSchedule: 'squaredcos_cap_v2' },
    files,
    source: { checkpoint: 'random.pt', sha256: '0'.repeat(64) },
    license: 'bench',
  }
  await writeManifest(dir, manifest)
}

/** The cached released-size noised CLIP folders (image and text encoder), written on first use. */
export async function ensureOfficialClip(
  log: (line: string) => void = console.log,
): Promise<{ imageFolder: string; textFolder: string }> {
  const imageFolder = join(benchCacheDir(), 'bench-clip-image')
  const textFolder = join(benchCacheDir(), 'bench-clip-text')
  for (const [kind, folder] of [
    ['clip-image', imageFolder],
    ['clip-text', textFolder],
  ] as const) {
    if (await exists(join(folder, 'model.json'))) continue
    log(`writing the released-size ${kind} (random weights): ${folder}`)
    await writeOfficialClipFolder(kind, folder)
  }
  return { imageFolder, textFolder }
}

/** Loads a model folder as the app's model cache does: CPU, the app's thread policy unless told. */
export function loadAsTheApp(
  folder: string,
  threads = appIntraOpThreads(),
): Promise<OnnxGlideUNet> {
  return loadGlideUNet(folder, { executionProviders: ['cpu'], intraOpNumThreads: threads })
}

export async function cleanBenchCache(log: (line: string) => void = console.log): Promise<void> {
  log(`removing ${benchCacheDir()}`)
  await rm(benchCacheDir(), { recursive: true, force: true })
}

/** Bytes of the files under `dir`, split into the optimised-graph cache (`.ort-cache`) and the rest. */
export async function folderDiskUse(
  dir: string,
): Promise<{ modelBytes: number; cacheBytes: number }> {
  let modelBytes = 0
  let cacheBytes = 0
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    const size = (await stat(path)).size
    if (path.includes('.ort-cache')) cacheBytes += size
    else modelBytes += size
  }
  return { modelBytes, cacheBytes }
}
