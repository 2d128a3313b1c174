/**
 * The guard worker's entry: everything heavy (decoding, onnxruntime, the models) lives here, off the viewer's
 * main thread.
 */
import * as Comlink from 'comlink';
import { installErrorTransfer } from '../wire.js';
import { GuardWorker } from './guard-worker.js';

installErrorTransfer();

const api = new GuardWorker();
Comlink.expose(Object.assign(api, { [Comlink.finalizer]: () => void api.dispose() }));
