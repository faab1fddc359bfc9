import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/**
 * Which hops in front of Herald are trusted to tell the client's address (TRUST_PROXY), with
 * Express's `trust proxy` semantics (both use `proxy-addr`): `false` trusts none (the socket's
 * address is the client's), a number trusts that many hops counted from the socket, a list trusts
 * those addresses/CIDRs (and the names `loopback`, `linklocal`, `uniquelocal`). The client is the
 * right-most address in `X-Forwarded-For` that is not trusted, so a client cannot choose its own
 * address by sending the header: its entries are to the left of what a trusted proxy appended.
 */
export type TrustProxy = false | number | readonly string[];

/** The client address of an HTTP request or WebSocket upgrade under `trust`. */
export function clientAddress(request: IncomingMessage, trust: TrustProxy): string | null {
  if (!request.socket.remoteAddress) return null;
  return proxyaddr(request, trustFunction(trust));
}

const compiled = new WeakMap<readonly string[], (address: string, hop: number) => boolean>();

function trustFunction(trust: TrustProxy): (address: string, hop: number) => boolean {
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  let fn = compiled.get(trust);
  if (!fn) {
    fn = proxyaddr.compile([...trust]);
    compiled.set(trust, fn);
  }
  return fn;
}

/**
 * TRUST_PROXY's value, or the problem with it. `true` is refused: it would trust every hop, so the
 * left-most `X-Forwarded-For` entry, which the client writes, would become its address.
 */
export function parseTrustProxy(value: string | undefined): { trust: TrustProxy } | { problem: string } {
  const text = value?.trim().toLowerCase();
  if (text === undefined || text === '' || ['false', 'no', '0'].includes(text)) return { trust: false };
  if (['true', 'yes'].includes(text)) {
    return {
      problem:
        'TRUST_PROXY: "true" would trust any X-Forwarded-For, so clients could choose their own address; ' +
        'write the number of proxies in front of Herald (such as 1) or their addresses/CIDRs (such as 10.0.0.0/8,loopback)',
    };
  }
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops <= 32) return { trust: hops };
  }
  const list = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  try {
    proxyaddr.compile(list);
    return { trust: Object.freeze(list) };
  } catch {
    return {
      problem: `TRUST_PROXY: expected false, a number of proxies from 0 to 32, or a comma-separated list of proxy addresses/CIDRs (or loopback, linklocal, uniquelocal), got "${value}"`,
    };
  }
}
