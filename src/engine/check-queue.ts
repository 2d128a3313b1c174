import { GuardError } from '../errors.js';

/**
 * Runs checks one at a time, in arrival order, and lets a queued check be cancelled before it starts.
 * One at a time because every check runs the same onnxruntime sessions, which reject overlapping runs.
 */
export class CheckQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly waiting = new Set<number>();
  private readonly cancelled = new Set<number>();

  add<T>(id: number, task: () => Promise<T>): Promise<T> {
    this.waiting.add(id);
    const run = this.tail.then(() => {
      this.waiting.delete(id);
      if (this.cancelled.delete(id)) throw new GuardError('aborted', `check ${id} was aborted before it started`);
      return task();
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Cancels a check that has not started; a running one is left to finish. */
  cancel(id: number): void {
    if (this.waiting.has(id)) this.cancelled.add(id);
  }

  /** Checks waiting to start. */
  get size(): number {
    return this.waiting.size;
  }
}
