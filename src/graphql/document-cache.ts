import type { DocumentNode } from 'graphql';

/**
 * Parsed and validated documents by source text, least recently used dropped first. Only
 * documents that passed every check are kept, so a hit skips parsing and validation; the checks
 * depend on the server's settings only, which do not change while it runs.
 */
export class DocumentCache {
  private readonly entries = new Map<string, DocumentNode>();

  constructor(private readonly maxEntries: number) {}

  get(source: string): DocumentNode | undefined {
    const document = this.entries.get(source);
    if (document) {
      // Map keeps insertion order: re-inserting marks it as the most recently used.
      this.entries.delete(source);
      this.entries.set(source, document);
    }
    return document;
  }

  set(source: string, document: DocumentNode): void {
    this.entries.delete(source);
    this.entries.set(source, document);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}
