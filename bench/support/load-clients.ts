import type { FanOutServerReady, FanOutTarget } from '../servers/server-contract';
import { TENANT_EVENTS_SUBSCRIPTION } from '../servers/event-source';
import { startBenchChild, type BenchChild, type ProcessStats } from './bench-child';
import type { Collected, ConnectRequest, ConnectResult, Progress } from './load-client';

/** The load: subscribers spread evenly over several load-client processes (bench/support/load-client.ts). */
export class LoadClients {
  private constructor(
    private readonly clients: BenchChild[],
    /** The open-files limit each client process got. */
    readonly fdLimit: number,
  ) {}

  static async start(processes: number): Promise<LoadClients> {
    const started = await Promise.all(
      Array.from({ length: processes }, (_, i) =>
        startBenchChild<{ fdLimit: number }>(`load-client-${i + 1}`, 'bench/support/load-client.ts'),
      ),
    );
    return new LoadClients(
      started.map((s) => s.child),
      Math.min(...started.map((s) => s.ready.fdLimit)),
    );
  }

  get processes(): number {
    return this.clients.length;
  }

  /** Adds `count` subscribers of `target` on `server`, spread over the processes. */
  async connect(label: string, server: FanOutServerReady, target: FanOutTarget, count: number): Promise<ConnectResult> {
    const results = await Promise.all(
      this.clients.map((client, i) => {
        const request: ConnectRequest = {
          label,
          url: server.url,
          protocol: server.protocol,
          token: target.token,
          query: TENANT_EVENTS_SUBSCRIPTION,
          variables: { tenantId: target.tenantId },
          count: this.share(count, i),
        };
        return client.request<ConnectResult>('connect', request);
      }),
    );
    return {
      opened: sum(results.map((r) => r.opened)),
      failed: sum(results.map((r) => r.failed)),
      firstError: results.find((r) => r.firstError)?.firstError ?? null,
    };
  }

  /** From now on, record receipts of run `run`'s first `events` events on `label`'s subscribers. */
  async arm(label: string, run: number, events: number): Promise<void> {
    await Promise.all(this.clients.map((client) => client.request('arm', { label, run, events })));
  }

  async progress(label: string): Promise<Progress> {
    const all = await Promise.all(this.clients.map((client) => client.request<Progress>('progress', { label })));
    return { delivered: sum(all.map((p) => p.delivered)), reached: sum(all.map((p) => p.reached)), closed: sum(all.map((p) => p.closed)) };
  }

  /** Ends the armed run; `existed[i]` is when event i existed. Latencies of every process together. */
  async collect(label: string, existed: Float64Array): Promise<Collected> {
    const all = await Promise.all(this.clients.map((client) => client.request<Collected>('collect', { label, existed })));
    const latencies = new Float64Array(sum(all.map((c) => c.latencies.length)));
    let offset = 0;
    for (const c of all) {
      latencies.set(c.latencies, offset);
      offset += c.latencies.length;
    }
    const closeReasons: Record<string, number> = {};
    for (const c of all) for (const [reason, n] of Object.entries(c.closeReasons)) closeReasons[reason] = (closeReasons[reason] ?? 0) + n;
    return {
      delivered: sum(all.map((c) => c.delivered)),
      reached: sum(all.map((c) => c.reached)),
      closed: sum(all.map((c) => c.closed)),
      duplicates: sum(all.map((c) => c.duplicates)),
      latencies,
      closeReasons,
    };
  }

  /** CPU used by every client process so far, µs. */
  async cpuMicros(): Promise<number> {
    const all = await Promise.all(this.clients.map((client) => client.request<ProcessStats>('stats')));
    return sum(all.map((s) => s.cpuMicros));
  }

  /** Closes subscribers of `label` until `keep` remain (none by default), evenly over the processes. */
  async close(label: string, keep = 0): Promise<number> {
    const closed = await Promise.all(
      this.clients.map((client, i) => client.request<number>('close', { label, keep: this.share(keep, i) })),
    );
    return sum(closed);
  }

  /** Process i's part of `count`. */
  private share(count: number, i: number): number {
    return Math.floor(count / this.clients.length) + (i < count % this.clients.length ? 1 : 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.stop()));
  }
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
