/**
 * One at a time: a model's KV cache or a conversation's state belongs to one generation at a time, and a
 * caller that starts a second before the first has ended (a missing `await`, two requests of a server,
 * `Promise.all` over prompts) would otherwise interleave their steps on it.
 */
export class Serial {
  private tail: Promise<void> = Promise.resolve();

  /** Resolves, with the function that hands the turn on, once every earlier turn has been handed on. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const ready = this.tail.then(() => release);
    this.tail = ready.then(() => done);
    return ready;
  }

  /** Runs `task` after every earlier one has ended, whether it resolved or rejected. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }
}
