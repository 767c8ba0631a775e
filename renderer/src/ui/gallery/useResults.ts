import { useCallback, useEffect, useState } from 'react'
import type { GlideApi } from '../../../../contract/ipc'
import type { ResultEntry } from '../../../../contract/results'
import { unwrap } from '../../bridge'

interface ResultsList {
  /** Newest first. */
  readonly results: readonly ResultEntry[]
  /** How many results the folder holds (more than listed past the Gallery's limit). */
  readonly total: number
  /** Where results are kept; null where nothing is kept. */
  readonly folder: string | null
}

export interface ResultsState extends ResultsList {
  /** Deletes results and their files; rejects with main's message. */
  remove(ids: readonly string[]): Promise<void>
}

const kept = (entries: readonly ResultEntry[]) =>
  entries.filter((entry) => entry.notKept === null).length

/** `added` in front of `list`, each result once. */
function withAdded(list: ResultsList, added: readonly ResultEntry[]): ResultsList {
  const known = new Set(list.results.map((entry) => entry.id))
  const fresh = added.filter((entry) => !known.has(entry.id))
  return { ...list, results: [...fresh, ...list.results], total: list.total + kept(fresh) }
}

function withRemoved(list: ResultsList, ids: readonly string[]): ResultsList {
  const gone = new Set(ids)
  const removed = list.results.filter((entry) => gone.has(entry.id))
  return {
    ...list,
    results: list.results.filter((entry) => !gone.has(entry.id)),
    total: Math.max(0, list.total - kept(removed)),
  }
}

/** The Gallery's results, kept current from main's events (every page sees every result). */
export function useResults(glide: GlideApi): ResultsState {
  const [list, setList] = useState<ResultsList>({ results: [], total: 0, folder: null })

  useEffect(() => {
    // Events that arrive before the first list are applied to it when it comes.
    let pending: Array<(list: ResultsList) => ResultsList> | null = []
    const apply = (change: (list: ResultsList) => ResultsList) => {
      if (pending) pending.push(change)
      else setList(change)
    }
    const unsubscribers = [
      glide.subscribe('results.added', ({ results }) =>
        apply((current) => withAdded(current, results)),
      ),
      glide.subscribe('results.removed', ({ ids }) =>
        apply((current) => withRemoved(current, ids)),
      ),
    ]
    void unwrap(glide.results.list({}))
      .then((first) => {
        const changes = pending ?? []
        pending = null
        setList(changes.reduce<ResultsList>((current, change) => change(current), first))
      })
      .catch(() => {
        const changes = pending ?? []
        pending = null
        setList((current) => changes.reduce((next, change) => change(next), current))
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

  return { ...list, remove }
}
