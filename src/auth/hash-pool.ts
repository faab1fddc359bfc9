import { RateLimitedError } from '../errors/domain-errors';
import { addressGroup } from './address-group';

/** Addresses whose last turn is remembered; an older one counts as never served (it has waited long enough). */
const REMEMBERED_ADDRESSES = 1000;

/**
 * Bounds password hashing (scrypt: ~220 ms of a core and 32 MiB each) and shares it fairly between
 * client addresses: at most `slots` hashes run at once, and a freed slot goes to the waiting
 * address that was served longest ago (never: first), not to the oldest request. So 60 logins sent
 * at once from one address wait behind each other, while another address's login gets the next
 * free slot. An address with `queuePerAddress` hashes waiting already is refused (RATE_LIMITED) at once.
 */
export class HashPool {
  private running = 0;
  private turn = 0;
  /** Waiting work per address group. */
  private readonly waiting = new Map<string, (() => void)[]>();
  /** The turn each address group was last served at, oldest first (bounded). */
  private readonly lastServed = new Map<string, number>();

  constructor(
    readonly slots: number,
    readonly queuePerAddress: number,
  ) {}

  async run<T>(address: string | null, work: () => Promise<T>): Promise<T> {
    const key = address ? addressGroup(address) : 'unknown';
    if (this.running < this.slots && this.waiting.size === 0) {
      this.running++;
      this.served(key);
    } else {
      const queue = this.waiting.get(key) ?? [];
      if (queue.length >= this.queuePerAddress) throw new RateLimitedError(1);
      await new Promise<void>((resolve) => {
        queue.push(resolve);
        this.waiting.set(key, queue);
      });
    }
    try {
      return await work();
    } finally {
      this.next();
    }
  }

  /** How many hashes wait, per address group (for tests and metrics). */
  queued(): Record<string, number> {
    return Object.fromEntries([...this.waiting].map(([key, queue]) => [key, queue.length]));
  }

  /** Hands the freed slot to the waiting address served longest ago. */
  private next(): void {
    let chosen: string | null = null;
    let oldest = Infinity;
    for (const key of this.waiting.keys()) {
      const at = this.lastServed.get(key) ?? -1;
      if (at < oldest) [chosen, oldest] = [key, at];
    }
    if (chosen === null) {
      this.running--;
      return;
    }
    const queue = this.waiting.get(chosen)!;
    const resolve = queue.shift()!;
    if (queue.length === 0) this.waiting.delete(chosen);
    this.served(chosen);
    resolve();
  }

  private served(key: string): void {
    this.lastServed.delete(key);
    this.lastServed.set(key, this.turn++);
    if (this.lastServed.size > REMEMBERED_ADDRESSES) this.lastServed.delete(this.lastServed.keys().next().value!);
  }
}
