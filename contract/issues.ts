import type { z } from 'zod'

/**
 * What a failed parse found, in one short line: `path: message` for the first few issues. Used
 * wherever a refusal is reported (IPC errors, host protocol logs, CLI usage errors).
 */
export function describeIssues(error: z.ZodError, maxIssues = 3, fallbackPath = 'input'): string {
  const text = error.issues
    .slice(0, maxIssues)
    .map((issue) => `${issue.path.map(String).join('.') || fallbackPath}: ${issue.message}`)
    .join('; ')
  return text.slice(0, 500)
}
