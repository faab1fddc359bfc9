import { readFile } from 'node:fs/promises';

/**
 * What a V8 heap snapshot (`v8.writeHeapSnapshot`) holds, by kind of object: objects by
 * constructor name, closures by function name, the rest by node type (string, array, code…).
 * The difference between two snapshots, divided by the subscribers added between them, says
 * what one subscribed connection is made of.
 */
export type HeapCensus = Map<string, { count: number; bytes: number }>;

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export async function heapCensus(file: string): Promise<HeapCensus> {
  const { snapshot, nodes, strings } = JSON.parse(await readFile(file, 'utf8')) as Snapshot;
  const fields = snapshot.meta.node_fields;
  const [typeNames] = snapshot.meta.node_types;
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const census: HeapCensus = new Map();
  for (let i = 0; i < nodes.length; i += width) {
    const type = typeNames[nodes[i + typeAt]];
    const key = type === 'object' || type === 'closure' ? `${type} ${strings[nodes[i + nameAt]] || '(anonymous)'}` : `(${type})`;
    const entry = census.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += nodes[i + sizeAt];
    census.set(key, entry);
  }
  return census;
}

/** `after − before`, per `per` (subscribers), largest first, as Markdown list lines. */
export function renderCensusDiff(before: HeapCensus, after: HeapCensus, per: number, top = 25): string {
  const rows = [...after].map(([key, a]) => {
    const b = before.get(key) ?? { count: 0, bytes: 0 };
    return { key, count: (a.count - b.count) / per, bytes: (a.bytes - b.bytes) / per };
  });
  const total = rows.reduce((sum, r) => sum + r.bytes, 0);
  return [
    `Heap growth per subscriber: ${(total / 1024).toFixed(1)} KiB (self sizes of every object added).`,
    '',
    ...rows
      .sort((x, y) => y.bytes - x.bytes)
      .slice(0, top)
      .map((r) => `- ${r.bytes.toFixed(0)} B in ${r.count.toFixed(1)} × ${r.key}`),
  ].join('\n');
}
