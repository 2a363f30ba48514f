/**
 * The Web Worker entry (dist/worker.js): trains and generates off the page's main thread. Start it with
 * `TrainingWorker.start()`, which speaks the protocol in ./protocol.ts.
 */
import { TrainingSession } from './session.js';
import type { WorkerMessage, WorkerRequest } from './protocol.js';

interface WorkerScope {
  postMessage(message: WorkerMessage, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<WorkerRequest>) => void): void;
  close(): void;
}

const scope = globalThis as unknown as WorkerScope;
const session = new TrainingSession((message, transfer = []) => scope.postMessage(message, transfer));
// Not awaited: a long training request must leave the worker free to receive pause and stop.
scope.addEventListener('message', (event) => {
  const handled = session.handle(event.data);
  // Once the session has disposed its models, nothing is left running: the worker ends itself.
  if (event.data?.type === 'close') void handled.then(() => scope.close());
});
