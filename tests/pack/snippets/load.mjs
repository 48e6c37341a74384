// Imports a packed package with plain Node ESM and checks it exports something.
const name = process.argv[2];
const mod = await import(name);
const names = Object.keys(mod).filter((k) => k !== 'default');
if (names.length === 0) throw new Error(`import('${name}') exports nothing`);
console.log(`esm import ${name}: ${names.length} exports`);
console.log('ok');
