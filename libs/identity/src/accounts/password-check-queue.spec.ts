import { PasswordCheckQueue } from './password-check-queue.js';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('PasswordCheckQueue', () => {
  it('runs at most `concurrency` at once, queues up to `queueLength`, refuses the rest', async () => {
    const queue = new PasswordCheckQueue(2, 3);
    const gates = Array.from({ length: 7 }, deferred);
    let active = 0;
    let peak = 0;
    const runs = gates.map((gate, i) =>
      queue.run(async () => {
        active++;
        peak = Math.max(peak, active);
        await gate.promise;
        active--;
        return i;
      }),
    );
    expect(queue.load).toEqual({ running: 2, waiting: 3 });
    expect(queue.full).toBe(true);
    // The 6th and 7th find the queue full and are refused at once.
    expect(await runs[5]).toBeUndefined();
    expect(await runs[6]).toBeUndefined();
    for (const gate of gates) gate.resolve();
    expect(await Promise.all(runs.slice(0, 5))).toEqual([0, 1, 2, 3, 4].map((value) => ({ value })));
    expect(peak).toBe(2);
    expect(queue.load).toEqual({ running: 0, waiting: 0 });
    expect(queue.full).toBe(false);
  });

  it('frees the slot when the work throws', async () => {
    const queue = new PasswordCheckQueue(1, 0);
    await expect(queue.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await queue.run(async () => 'ok')).toEqual({ value: 'ok' });
  });
});
