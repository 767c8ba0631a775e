import { cpus } from 'node:os'

import type { ExecutionProviderName } from '../../../contract/jobs'
import type { ExecutionProviderChoice } from '../../../contract/settings'

/**
 * The providers to try, best first; CPU always ends the list so a provider that fails to start
 * (no driver, no CUDA libraries) falls back to it.
 */
export function providerPreference(
  choice: ExecutionProviderChoice,
  platform: NodeJS.Platform,
): ExecutionProviderName[] {
  if (choice === 'cpu') return ['cpu']
  if (choice !== 'auto') return [choice, 'cpu']
  switch (platform) {
    case 'win32':
      return ['cuda', 'directml', 'cpu']
    case 'linux':
      return ['cuda', 'cpu']
    case 'darwin':
      return ['coreml', 'cpu']
    default:
      return ['cpu']
  }
}

/** Leave one core to the rest of the machine when there are enough of them. */
export function intraOpThreads(cores: number): number {
  const whole = Math.max(1, Math.floor(cores))
  return whole >= 4 ? whole - 1 : whole
}

/** The app's thread policy on this machine: every ONNX Runtime session gets this many intra-op threads. */
export function appIntraOpThreads(): number {
  return intraOpThreads(cpus().length)
}
