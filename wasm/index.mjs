// ssm-lens: a selective state-space model seen as attention, and the terms
// of its generalization bound. See README.md for examples.
export { SsmLensError } from './errors.mjs';
export { loadWasm } from './loader.mjs';
export {
  LIMITS, Model, createModel, modelFromFile, modelFromSafetensors, modelFromStateDict, randomModel,
} from './model.mjs';
export { parseSafetensors, writeSafetensors } from './safetensors.mjs';
export { TERMS, bound, modelNorms } from './bound.mjs';
export {
  envelopes, spacedValues, sweep, table1,
} from './instrument.mjs';
export {
  Adam, LOG_COLUMNS, PlateauScheduler, RECIPE, batchLoss, clipGradient, evaluate, logNorms, packParameters, parameterLayout,
  tokenGradient, tokenLogits, trainModel, unpackParameters,
} from './train.mjs';
export {
  majorityTask, listopsTask, listopsValue, formatTokens, taskData,
} from './tasks.mjs';
export {
  EXPERIMENT_DEFAULTS, FAILED_MARGIN, experimentJobs, gapFlatness, lengthExperiment, parseGrid, parseSeeds,
  runJobs, runTrainingJob, stabilityExperiment, summarizeLength, summarizeStability,
} from './experiment.mjs';
