import * as Comlink from 'comlink';
import { deserializeError, serializeError, type SerializedError } from './errors.js';

/**
 * comlink flattens thrown errors to `{name, message, stack}`; this keeps `code` and `details` of a GuardError
 * across the worker boundary. Both sides call it once.
 */
export function installErrorTransfer(): void {
  const original = Comlink.transferHandlers.get('throw')!;
  Comlink.transferHandlers.set('throw', {
    canHandle: original.canHandle,
    serialize: ({ value }: { value: unknown }) => [serializeError(value), []],
    deserialize: (wire: SerializedError) => {
      throw deserializeError(wire);
    },
  } as Comlink.TransferHandler<{ value: unknown }, SerializedError>);
}
