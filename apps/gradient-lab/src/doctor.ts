// The doctor's browser-safe entry (`@gradkit/gradient-lab/doctor`), for the playground: reading a
// saved tfjs-layers model and a data file from bytes, and running the doctor on them. No Node
// imports in this graph (the CLI's file reading is in doctor/model-files.ts, its report files in
// doctor/doctor-report-html.ts).
export type { DoctorTask } from './args.js';
export { type Dataset, type DatasetExpect, readDataset, toDoctorData } from './doctor/data-files.js';
export { DoctorInputError } from './doctor/doctor-errors.js';
export { DOCTOR_REPORT_FORMAT, type DoctorReportContext, doctorReportJson } from './doctor/doctor-report.js';
export {
  DOCTOR_TABLE_HEADER,
  type DoctorTableRow,
  doctorTableRows,
  findingLines,
  formatDoctorTable,
  recommendationText,
  settingsLines,
} from './doctor/doctor-table.js';
export { artifactsFromFiles, type LoadedModel, loadLayersModelFromArtifacts, modelToFiles } from './doctor/model-artifacts.js';
export {
  type DoctorRun,
  describeDataset,
  describeModel,
  lossForTask,
  type ModelSummary,
  type RunDoctorOptions,
  remediesToTry,
  runDoctor,
  summarizeModel,
  taskNote,
} from './doctor/run-doctor.js';
