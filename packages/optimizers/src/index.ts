import './kernels/register.js';

export { type ResolvedSgdOptions, type SgdOptions, type SgdState, sgd } from './sgd.js';
