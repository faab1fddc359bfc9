import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** How the receiver answers a request: a status (and headers, body), or `hang` (never answer). */
export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  received: ReceivedWebhook[];
  /** Requests to `path`. */
  at(path: string): ReceivedWebhook[];
  /** Sets how requests to `path` are answered from now on (default 204). */
  answer(path: string, answer: Answer | ((request: ReceivedWebhook) => Answer)): void;
  /** Answers every request to `path` held by `hang` with `status`; returns how many. */
  release(path: string, status?: number): number;
  /** The most requests to `path` that were open at once. */
  maxOpen(path: string): number;
  close(): Promise<void>;
}

/** A real HTTP receiver on loopback that records every request and answers as told. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const answers = new Map<string, Answer | ((request: ReceivedWebhook) => Answer)>();
  const hanging = new Map<ServerResponse, string>();
  const open = new Map<string, number>();
  const maxOpen = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(request);
      open.set(request.path, (open.get(request.path) ?? 0) + 1);
      maxOpen.set(request.path, Math.max(maxOpen.get(request.path) ?? 0, open.get(request.path)!));
      res.on('close', () => open.set(request.path, open.get(request.path)! - 1));
      const rule = answers.get(request.path) ?? { status: 204 };
      const answer = typeof rule === 'function' ? rule(request) : rule;
      if (answer === 'hang') {
        hanging.set(res, request.path);
        return;
      }
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    at: (path) => received.filter((r) => r.path === path),
    answer: (path, answer) => answers.set(path, answer),
    release(path, status = 200) {
      let count = 0;
      for (const [res, at] of hanging) {
        if (at !== path) continue;
        hanging.delete(res);
        res.writeHead(status).end();
        count++;
      }
      return count;
    },
    maxOpen: (path) => maxOpen.get(path) ?? 0,
    async close() {
      for (const res of hanging.keys()) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
