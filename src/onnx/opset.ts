/**
 * The one ONNX opset every graph in introspect is written against (default domain only).
 *
 * 18 because it is the first opset where every Reduce* op takes `axes` as an input tensor
 * (ReduceSum moved in 13, ReduceMean/ReduceMax/ReduceProd in 18), so reductions over
 * runtime-computed axes (gradients of broadcasts with symbolic shapes) need no special case;
 * Split gains `num_outputs` and Pad gains `axes` in 18 too. ScatterND/ScatterElements with
 * `reduction='add'` (used by the Gather gradients) exist from 16. Stock onnxruntime-node runs
 * opset 18 on CPU, CUDA and WebGPU. The builder still hides the attribute-vs-input difference
 * (see `axesAsInput`), so moving the pin only means changing this number.
 */
export const OPSET = 18;

/** ONNX IR version written into models (IR 8 is the one that goes with opset 18). */
export const IR_VERSION = 8;

/** Whether `op` takes its `axes` as an input (true) or an attribute (false) at {@link OPSET}. */
export function axesAsInput(op: string): boolean {
  switch (op) {
    case 'ReduceSum':
    case 'Squeeze':
    case 'Unsqueeze':
      return OPSET >= 13;
    default:
      return OPSET >= 18;
  }
}
