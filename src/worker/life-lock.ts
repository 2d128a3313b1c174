/** Message the worker posts once it holds its life lock; comlink ignores messages without an id. */
export const ALIVE_MESSAGE = 'cadguard-alive';

/**
 * Holds a Web Lock for the worker's whole life. The main thread then waits on the same lock and is granted it the
 * moment this worker dies (crash, out of memory, terminate), which no message from a dead worker could announce.
 */
export function holdLifeLock(name: string): Promise<void> {
  return new Promise((held) => {
    void navigator.locks.request(name, () => {
      held();
      self.postMessage({ type: ALIVE_MESSAGE });
      return new Promise<never>(() => undefined);
    });
  });
}
