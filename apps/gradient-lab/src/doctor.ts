// The doctor's browser-safe entry (`@gradkit/gradient-lab/doctor`), for the playground: reading a
// saved tfjs-layers model and a data file from bytes, and running the doctor on them. No Node
// imports in this graph (the CLI's file reading is in doctor/model-files.ts).
export {};
