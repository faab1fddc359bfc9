import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isRefusedAddress } from './address-policy';

/** What an endpoint answered to one attempt. */
export interface WebhookResponse {
  status: number;
  /** The first RESPONSE_BODY_BYTES of the body, as text. */
  body: string;
  /** The wait a 429/503 asked for (`Retry-After`), capped at an hour; null when absent. */
  retryAfterMs: number | null;
}

/** The first bytes of a response body kept for the attempts view. */
export const RESPONSE_BODY_BYTES = 1024;
/** Read at most this much of a response (the rest is not waited for: the socket is dropped). */
const RESPONSE_READ_LIMIT = 64 * 1024;
const MAX_RETRY_AFTER_MS = 3_600_000;

/** A target address refused by the network rules (src/webhooks/address-policy.ts). */
export class RefusedAddressError extends Error {
  override readonly name = 'RefusedAddressError';
  constructor(readonly address: string) {
    super(`refused to connect to ${address}: a loopback, private, link-local or otherwise internal address (WEBHOOK_ALLOW_PRIVATE_NETWORKS is off)`);
  }
}

/**
 * A DNS lookup that refuses internal addresses, for the HTTP agents: the address checked is the
 * one the socket then connects to, on every new connection, so a name that resolves to a public
 * address once and to an internal one later (DNS rebinding) is refused the second time.
 */
export function guardedLookup(resolve: LookupFunction = dnsLookup as LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...(options as LookupOptions), all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as LookupAddress[];
      const bad = list.find((a) => isRefusedAddress(a.address));
      if (bad) return callback(new RefusedAddressError(bad.address), '', 0);
      if (list.length === 0) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      if ((options as LookupOptions).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}

/**
 * Sends webhook requests: POST with a time limit, no redirects followed (a 3xx is a failed
 * attempt), no proxy (environment variables such as HTTPS_PROXY are not read by node:http), and,
 * unless `allowPrivateNetworks`, never to an internal address, checked in the agents' own lookup
 * (and for a URL whose host is an address literal, which skips the lookup, before connecting).
 */
export class WebhookRequester {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(
    private readonly options: { allowPrivateNetworks: boolean; allowHttp: boolean; timeoutMs: number; lookup?: LookupFunction },
  ) {
    const lookup = options.allowPrivateNetworks ? undefined : guardedLookup(options.lookup);
    this.httpAgent = new http.Agent({ keepAlive: true, lookup });
    this.httpsAgent = new https.Agent({ keepAlive: true, lookup });
  }

  /** Posts `body`; resolves with the answer whatever its status, rejects when none came (refused, timed out, reset). */
  post(target: string, headers: Record<string, string>, body: string, signal?: AbortSignal): Promise<WebhookResponse> {
    const url = new URL(target);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.options.allowHttp)) {
      return Promise.reject(new Error(`${url.protocol}// URLs are not allowed here: use https://`));
    }
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) && !this.options.allowPrivateNetworks && isRefusedAddress(literal)) {
      return Promise.reject(new RefusedAddressError(literal));
    }
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<WebhookResponse>((resolve, reject) => {
      const request = client.request(
        url,
        {
          method: 'POST',
          agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
          headers: {
            ...headers,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'Herald-Webhooks/1',
          },
          signal,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let read = 0;
          response.on('data', (chunk: Buffer) => {
            if (read < RESPONSE_BODY_BYTES) chunks.push(chunk);
            read += chunk.length;
            if (read > RESPONSE_READ_LIMIT) response.destroy();
          });
          const finish = () => {
            clearTimeout(timer);
            resolve({
              status: response.statusCode ?? 0,
              body: truncateUtf8(Buffer.concat(chunks), RESPONSE_BODY_BYTES),
              retryAfterMs: retryAfterMs(response.headers['retry-after']),
            });
          };
          response.on('end', finish);
          response.on('close', finish); // destroyed after the limit: what was read is enough
          response.on('error', () => finish());
        },
      );
      const timer = setTimeout(
        () => request.destroy(new Error(`no answer within ${Math.round(this.options.timeoutMs / 1000)} s`)),
        this.options.timeoutMs,
      );
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      request.end(body);
    });
  }

  /** Closes idle keep-alive sockets (shutdown). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** `Retry-After` as ms (seconds or an HTTP date), capped at an hour; null when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return null;
  const ms = /^\d+$/.test(text.trim()) ? Number(text.trim()) * 1000 : Date.parse(text) - now;
  if (!Number.isFinite(ms)) return null;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/** At most `bytes` bytes of UTF-8 text, never cutting a character in two. */
function truncateUtf8(buffer: Buffer, bytes: number): string {
  if (buffer.length <= bytes) return buffer.toString('utf8');
  let end = bytes;
  while (end > 0 && (buffer[end] & 0xc0) === 0x80) end--;
  return buffer.subarray(0, end).toString('utf8');
}
