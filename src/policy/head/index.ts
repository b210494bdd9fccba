/**
 * The learned temperature head of the Introspective LLM (arXiv 2602.13035): a small MLP on the LLM's
 * final hidden state (behind a stop-gradient) that picks each token's sampling temperature.
 */
export {
  type HeadKind,
  HEAD_KINDS,
  type TemperatureHeadConfig,
  type TemperatureHeadOptions,
  DEFAULT_HEAD_CONFIG,
  resolveHeadConfig,
  headOutputWidth,
} from './config.js';
export {
  HEAD_PARAM_NAMES,
  type HeadParamName,
  type HeadParams,
  headParamShapes,
  initHeadParams,
  priorOutput,
  checkHeadParams,
} from './parameters.js';
export { headForwardReference } from './reference.js';
export {
  type HeadParamValues,
  type HeadDType,
  type HeadParamSource,
  type HeadGraphOptions,
  headOutputName,
  declareHeadParams,
  headLayers,
  temperatureHeadGraph,
  appendTemperatureHead,
} from './graph.js';
export { type ActionScores, type ActionScorer, actionScorers } from './distribution.js';
export { temperatureHeadTrainingGraph } from './training-graph.js';
export {
  HEAD_WEIGHTS_FILE,
  HEAD_CONFIG_FILE,
  HEAD_GRAPH_FILE,
  HEAD_FORMAT_VERSION,
  type HeadJson,
  headJson,
  saveHeadFiles,
  loadHeadFiles,
} from './checkpoint.js';
export { TemperatureHead } from './head.js';
export { headSessionOptions, openTemperatureHead } from './open.js';
