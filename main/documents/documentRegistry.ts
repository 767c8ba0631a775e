import { randomBytes } from 'node:crypto'
import type { ProjectData } from '../../contract/documents'

/** What main knows of one open document: its recovery copy's name and the file it was saved to. */
export interface DocumentEntry {
  /** The recovery copy's id; random, of main's making. */
  readonly recoveryKey: string
  /** Where Save writes without asking; null until the first save (or for documents from bytes). */
  path: string | null
}

export function newDocumentId(): string {
  return `doc-${randomBytes(16).toString('base64url')}`
}

function newRecoveryKey(): string {
  return `rec-${randomBytes(16).toString('base64url')}`
}

/**
 * Main's register of open documents, one namespace per page (window, browser tab). The id a page
 * sends only finds that page's own entries; the save path and the recovery copy's name are main's.
 * A document read from a file gets a fresh id, so two files carrying the same id inside (or one
 * file opened twice) never share a save path or a recovery copy.
 */
export class DocumentRegistry {
  private readonly clients = new Map<string, Map<string, DocumentEntry>>()

  private documentsOf(clientId: string): Map<string, DocumentEntry> {
    let documents = this.clients.get(clientId)
    if (!documents) this.clients.set(clientId, (documents = new Map()))
    return documents
  }

  /** The entry for a page's document, created on first use (a new document's first autosave). */
  entry(clientId: string, documentId: string): DocumentEntry {
    const documents = this.documentsOf(clientId)
    let entry = documents.get(documentId)
    if (!entry) documents.set(documentId, (entry = { recoveryKey: newRecoveryKey(), path: null }))
    return entry
  }

  find(clientId: string, documentId: string): DocumentEntry | undefined {
    return this.clients.get(clientId)?.get(documentId)
  }

  /** Registers a document read from a file or a recovery copy under a new id of main's making. */
  adopt(
    clientId: string,
    project: ProjectData,
    origin: { path?: string; recoveryKey?: string } = {},
  ): ProjectData {
    const documentId = newDocumentId()
    this.documentsOf(clientId).set(documentId, {
      recoveryKey: origin.recoveryKey ?? newRecoveryKey(),
      path: origin.path ?? null,
    })
    return { ...project, documentId }
  }

  forget(clientId: string, documentId: string): boolean {
    return this.clients.get(clientId)?.delete(documentId) ?? false
  }

  clientClosed(clientId: string): void {
    this.clients.delete(clientId)
  }
}
