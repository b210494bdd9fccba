/**
 * A full garbage collection on demand, for the few places where big typed arrays die in bulk and
 * the next allocation of the same size comes before V8 would collect them by itself: the token
 * update's gradient copies (gigabytes at the Qwen2.5-0.5B shape), which onnxruntime-node allocates
 * anew on every run. Without it the last step's copies were still alive when the next run
 * allocated its own, one whole set of gradients too many at the peak.
 *
 * `gc` is exposed at run time (the documented `--expose-gc` flag, set through v8.setFlagsFromString)
 * so neither the CLI nor library users need a node flag.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

export function collectGarbage(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}
