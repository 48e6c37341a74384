import { packageConfig } from '../../tsup.package.mjs';

export default packageConfig();
