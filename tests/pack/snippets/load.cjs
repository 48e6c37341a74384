// Requires a packed package with plain Node CommonJS and checks it exports something.
const name = process.argv[2];
const mod = require(name);
const names = Object.keys(mod);
if (names.length === 0) throw new Error(`require('${name}') exports nothing`);
console.log(`cjs require ${name}: ${names.length} exports`);
console.log('ok');
