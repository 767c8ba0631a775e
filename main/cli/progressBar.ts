import type { JobProgress } from '../../contract/jobs'

function seconds(ms: number): string {
  const total = Math.round(ms / 1000)
  return total >= 60
    ? `${Math.floor(total / 60)}m${String(total % 60).padStart(2, '0')}s`
    : `${total}s`
}

/** One line of terminal progress: stage, a bar, step/total, elapsed and ETA. */
export function formatProgress(progress: JobProgress, width = 24): string {
  const filled = Math.round((progress.step / progress.totalSteps) * width)
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled)
  const eta = progress.etaMs === null ? 'ETA --' : `ETA ${seconds(progress.etaMs)}`
  const stage = progress.stage.padEnd(8)
  return `${stage} [${bar}] ${progress.step}/${progress.totalSteps}  ${seconds(progress.elapsedMs)} elapsed  ${eta}`
}

/** Redraws in place on a terminal; on a pipe, writes one line per step. */
export function progressWriter(stream: NodeJS.WriteStream = process.stderr): {
  update(progress: JobProgress): void
  done(): void
} {
  let drawn = false
  return {
    update(progress) {
      const line = formatProgress(progress)
      if (stream.isTTY) {
        stream.write(`\r${line}\u001b[K`)
        drawn = true
      } else {
        stream.write(`${line}\n`)
      }
    },
    done() {
      if (drawn) stream.write('\n')
      drawn = false
    },
  }
}
