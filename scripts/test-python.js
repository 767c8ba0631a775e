// Runs the Python tooling's tests (GLIDE-mini training and evaluation) with Debian's python3-torch.
// The app never needs Python; only these tests and model training do.
import console from 'node:console'
import process from 'node:process'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const python = process.env.GLIDE_STUDIO_PYTHON ?? '/usr/bin/python3'
const testsDir = 'native-models/training/tests'

if (!existsSync(testsDir)) {
  console.log(`No Python tests in ${testsDir}.`)
  process.exit(0)
}
const probe = spawnSync(python, ['-c', 'import torch, numpy, PIL'], { stdio: 'ignore' })
if (probe.status !== 0) {
  console.error(
    `${python} lacks torch, numpy or PIL. On Debian: apt-get install python3-torch python3-numpy python3-pil`,
  )
  process.exit(1)
}
const run = spawnSync(python, ['-m', 'unittest', 'discover', '-s', testsDir, '-t', '.', '-v'], {
  stdio: 'inherit',
  env: { ...process.env, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS ?? '2' },
})
process.exit(run.status ?? 1)
