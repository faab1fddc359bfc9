import type WebSocket from 'ws';

interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Runs `writes` (several `socket.send` calls) with the socket's TCP stream corked, so their frames
 * reach the operating system in one write instead of one each: a subscriber behind by several
 * events costs one system call, not several (the write is most of what delivery costs). `ws`
 * offers no cork of its own; its net.Socket is its `_socket`, read here and nowhere else (ws's
 * own Sender corks it the same way for each frame, and corks nest). next-frames.test.ts fails if a
 * `ws` upgrade moves it; without it the writes simply go out one by one.
 */
export function corked(socket: WebSocket, writes: () => void): void {
  const stream = (socket as unknown as { _socket?: Partial<Corkable> })._socket;
  if (typeof stream?.cork !== 'function' || typeof stream.uncork !== 'function') return writes();
  stream.cork();
  try {
    writes();
  } finally {
    stream.uncork();
  }
}

/** Whether `corked` can cork this socket (for the test that guards the assumption). */
export function canCork(socket: WebSocket): boolean {
  const stream = (socket as unknown as { _socket?: Partial<Corkable> })._socket;
  return typeof stream?.cork === 'function' && typeof stream.uncork === 'function';
}
