import express, { type RequestHandler } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearerToken } from '../auth/access-tokens';
import type { Config } from '../config';
import type { HeraldMetrics } from './metrics';

/**
 * Where GET /metrics is served: on its own port (METRICS_PORT), on the main port (behind
 * METRICS_TOKEN when set; openly outside production), or not at all (production without either).
 */
export type MetricsPlacement = 'own-port' | 'main-port' | 'off';

export function metricsPlacement(config: Pick<Config, 'metrics' | 'nodeEnv'>): MetricsPlacement {
  if (config.metrics.port !== undefined) return 'own-port';
  if (config.metrics.token !== undefined || config.nodeEnv !== 'production') return 'main-port';
  return 'off';
}

/** GET /metrics: the exposition text; with a token, only for `Authorization: Bearer <token>`. */
export function metricsHandler(metrics: HeraldMetrics, token: string | undefined): RequestHandler {
  const expected = token === undefined ? null : digest(token);
  return async (req, res) => {
    if (expected) {
      const presented = bearerToken(req.headers.authorization);
      if (!presented || !timingSafeEqual(digest(presented), expected)) {
        res.status(401).setHeader('www-authenticate', 'Bearer realm="metrics"').type('text/plain').send('Send METRICS_TOKEN as "Authorization: Bearer <token>".\n');
        return;
      }
    }
    res.setHeader('content-type', metrics.contentType);
    res.send(await metrics.render());
  };
}

/** A separate HTTP server that serves only /metrics (METRICS_PORT). */
export async function startMetricsServer(
  handler: RequestHandler,
  options: { port: number; host: string },
): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', handler);
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * GET /metrics as configured (see `metricsPlacement`): `mainPortHandler` for the main app, or a
 * server of its own started by `start`.
 */
export class MetricsEndpoint {
  readonly placement: MetricsPlacement;
  private readonly handler: RequestHandler;
  private own: Awaited<ReturnType<typeof startMetricsServer>> | null = null;

  constructor(
    metrics: HeraldMetrics,
    private readonly config: Pick<Config, 'metrics' | 'nodeEnv' | 'host'>,
  ) {
    this.placement = metricsPlacement(config);
    this.handler = metricsHandler(metrics, config.metrics.token);
  }

  /** The handler to mount on the main app, when metrics are served there. */
  get mainPortHandler(): RequestHandler | undefined {
    return this.placement === 'main-port' ? this.handler : undefined;
  }

  /** The port of the metrics server of its own, once started. */
  get ownPort(): number | null {
    return this.own?.port ?? null;
  }

  async start(): Promise<void> {
    if (this.placement !== 'own-port' || this.own) return;
    this.own = await startMetricsServer(this.handler, { port: this.config.metrics.port!, host: this.config.host });
  }

  async close(): Promise<void> {
    await this.own?.close();
    this.own = null;
  }
}

/** Comparing digests keeps the comparison constant-time whatever the lengths. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
