/**
 * Bounds the CPU that password hashing may take: at most `concurrency` checks run at once, at most
 * `queueLength` wait for their turn, and anything beyond is refused at once (the caller answers 503
 * with Retry-After). scrypt runs on libuv's thread pool, so without this bound a flood of sign-in
 * posts occupies every core and starves the SCIM traffic of other tenants.
 */
export class PasswordCheckQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly concurrency: number,
    readonly queueLength: number,
  ) {}

  /** Runs `work` when a slot is free; undefined without running it when the queue is full. */
  async run<T>(work: () => Promise<T>): Promise<{ value: T } | undefined> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueLength) return undefined;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return { value: await work() };
    } finally {
      // The slot passes straight to the next waiter, so `running` stays as it is; otherwise it frees up.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** True when a check asked for now would be refused: every slot taken and the queue full. */
  get full(): boolean {
    return this.running >= this.concurrency && this.waiting.length >= this.queueLength;
  }

  /** Checks running and waiting now. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
