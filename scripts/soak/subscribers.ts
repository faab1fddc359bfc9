/**
 * One of the soak's subscriber processes: opens a graphql-ws connection per subscriber, each with
 * one `tenantEvents(tenantId, after)` subscription, and counts what arrives (duplicates and
 * out-of-order seqs apart). Driven over IPC by scripts/soak.ts; not meant to be run by hand.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface SubscriberJob {
  token: string;
  tenantId: string;
}
export interface SubscriberTally {
  tenantId: string;
  received: number;
  duplicatesOrOutOfOrder: number;
  errors: string[];
  closeCode: number | null;
}

const QUERY = `subscription($tenantId: ID!, $after: String) { tenantEvents(tenantId: $tenantId, after: $after) { seq name } }`;
const clients: Client[] = [];
const tallies: SubscriberTally[] = [];

async function start(url: string, after: string, jobs: SubscriberJob[]): Promise<void> {
  let connected = 0;
  for (const [index, job] of jobs.entries()) {
    const tally: SubscriberTally = { tenantId: job.tenantId, received: 0, duplicatesOrOutOfOrder: 0, errors: [], closeCode: null };
    tallies.push(tally);
    let lastSeq = BigInt(after);
    const client = createClient({
      url: `${url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${job.token}` },
      lazy: false,
      retryAttempts: 0, // a reconnect would hide a close: the soak counts it instead
      onNonLazyError: () => undefined,
      on: {
        connected: () => {
          connected++;
          if (connected === jobs.length) process.send!({ type: 'connected', count: connected });
        },
        closed: (event) => {
          const code = (event as { code?: number }).code ?? null;
          if (code !== 1000) tally.closeCode = code;
        },
      },
    });
    clients.push(client);
    client.subscribe<{ tenantEvents: { seq: string } }>(
      { query: QUERY, variables: { tenantId: job.tenantId, after } },
      {
        next: ({ data, errors }) => {
          if (errors) tally.errors.push(errors.map((e) => e.message).join('; '));
          if (!data) return;
          const seq = BigInt(data.tenantEvents.seq);
          if (seq <= lastSeq) tally.duplicatesOrOutOfOrder++;
          else tally.received++;
          lastSeq = seq > lastSeq ? seq : lastSeq;
        },
        error: (error) => tally.errors.push(Array.isArray(error) ? error.map((e) => e.message).join('; ') : String((error as { code?: number }).code ?? error)),
        complete: () => tally.errors.push('completed by the server'),
      },
    );
    // Open in batches, as clients of a real deployment would not all arrive in one millisecond.
    if (index % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

process.on('message', (message: { type: string; url?: string; after?: string; jobs?: SubscriberJob[] }) => {
  if (message.type === 'start') void start(message.url!, message.after!, message.jobs!);
  if (message.type === 'report') process.send!({ type: 'report', tallies });
  if (message.type === 'stop') {
    void Promise.all(clients.map((client) => client.dispose())).then(() => process.exit(0));
  }
});
