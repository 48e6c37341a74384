#!/usr/bin/env node
// The `gradient-lab` command: `gradient-lab run|compare|help [flags]` (see main.ts and README.md).
import * as tf from '@tensorflow/tfjs-core';
import { main } from './main.js';

// tfjs's "you are running TensorFlow.js in Node.js" banner says nothing to a user of this CLI.
tf.env().set('PROD', true);

const code = await main(process.argv.slice(2), {
  stdout: { write: (text) => process.stdout.write(text), isTTY: Boolean(process.stdout.isTTY), columns: process.stdout.columns },
  stderr: { write: (text) => process.stderr.write(text) },
});
// Exit explicitly once the output is flushed: a started WebGPU device (Dawn) would keep Node alive.
process.stdout.write('', () => process.exit(code));
