import { useCallback, useEffect, useState } from 'react'
import type { GlideApi } from '../../../../contract/ipc'
import type { ResultEntry } from '../../../../contract/results'
import { unwrap } from '../../bridge'

export interface ResultsState {
  /** Newest first. */
  results: readonly ResultEntry[]
  /** How many results the folder holds (more than listed past the Gallery's limit). */
  total: number
  /** Where results are kept; null where nothing is kept. */
  folder: string | null
  /** Deletes results and their files; rejects with main's message. */
  remove(ids: readonly string[]): Promise<void>
}

/** The Gallery's results, kept current from main's events (every page sees every result). */
export function useResults(glide: GlideApi): ResultsState {
  const [results, setResults] = useState<readonly ResultEntry[]>([])
  const [total, setTotal] = useState(0)
  const [folder, setFolder] = useState<string | null>(null)

  useEffect(() => {
    let listed = false
    const early: ResultEntry[][] = []
    const unsubscribers = [
      glide.subscribe('results.added', ({ results: added }) => {
        if (!listed) {
          early.push(added)
          return
        }
        setResults((current) => [...added, ...current.filter((entry) => !added.includes(entry))])
        setTotal((current) => current + added.filter((entry) => entry.notKept === null).length)
      }),
      glide.subscribe('results.removed', ({ ids }) => {
        const gone = new Set(ids)
        setResults((current) => {
          const kept = current.filter((entry) => !gone.has(entry.id))
          const removedFiles = current.filter(
            (entry) => gone.has(entry.id) && entry.notKept === null,
          ).length
          setTotal((count) => Math.max(0, count - removedFiles))
          return kept
        })
      }),
    ]
    void unwrap(glide.results.list({}))
      .then((list) => {
        // Results that arrived while the list was on its way are in it already, or newer.
        const ids = new Set(list.results.map((entry) => entry.id))
        const newer = early.flat().filter((entry) => !ids.has(entry.id))
        listed = true
        setResults([...newer, ...list.results])
        setTotal(list.total + newer.filter((entry) => entry.notKept === null).length)
        setFolder(list.folder)
      })
      .catch(() => {
        listed = true
      })
    return () => {
      for (const unsubscribe of unsubscribers) unsubscribe()
    }
  }, [glide])

  const remove = useCallback(
    async (ids: readonly string[]) => {
      await unwrap(glide.results.delete({ ids: [...ids] }))
    },
    [glide],
  )

  return { results, total, folder, remove }
}
