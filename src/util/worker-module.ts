import { Worker, type TransferListItem } from 'node:worker_threads';

/**
 * A CommonJS bootstrap evaluated in a worker: it imports the worker module (through tsx's API when
 * running from TypeScript sources, since tsx's hooks do not reach worker threads). A failure is
 * reported through `workerData.flag` when there is one (the CAS parent waits on it), and rethrown
 * so the worker's 'error' event fires.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const load = workerData.tsxApi
  ? import(workerData.tsxApi).then((api) => api.tsImport(workerData.moduleUrl, workerData.moduleUrl))
  : import(workerData.moduleUrl);
load.catch((error) => {
  if (workerData.flag) { Atomics.store(workerData.flag, 0, 2); Atomics.notify(workerData.flag, 0); }
  throw error;
});
`;

/** The fields every module worker receives beside its own data. */
export interface ModuleWorkerData {
  /** The worker module's URL, imported by the bootstrap. */
  moduleUrl: string;
  /** tsx's API module when running from TypeScript sources; undefined when compiled. */
  tsxApi: string | undefined;
}

/**
 * Starts `./<name>.js` (or `.ts` under tsx) next to `fromUrl` in a worker thread, unref'd so it
 * never keeps the process alive. Errors are swallowed here: callers watch 'exit' or their own flag.
 */
export function startModuleWorker(name: string, fromUrl: string, data: object, transferList: TransferListItem[] = []): Worker {
  const fromSource = fromUrl.endsWith('.ts');
  const moduleUrl = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, fromUrl).href;
  const tsxApi = fromSource ? import.meta.resolve('tsx/esm/api') : undefined;
  const workerData: ModuleWorkerData = { ...data, moduleUrl, tsxApi };
  // A worker inherits the parent's node flags. `--input-type=module` (a parent run as `node
  // --input-type=module -e ...`) would make the CommonJS bootstrap a module without `require`,
  // which fails before it can report anything, so that flag is not passed on.
  const execArgv = process.execArgv.filter((flag) => !flag.startsWith('--input-type'));
  const worker = new Worker(BOOTSTRAP, { eval: true, workerData, transferList, execArgv });
  worker.on('error', () => {}); // a failed or terminated worker is replaced, never fatal
  worker.unref();
  return worker;
}
