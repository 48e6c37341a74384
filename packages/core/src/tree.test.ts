import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { TreeMismatchError } from './errors.js';
import { assertSameStructure, flatten, map, paths, unflatten, zip } from './tree.js';

describe('tree helpers', () => {
  const a = tf.scalar(1);
  const b = tf.scalar(2);
  const c = tf.scalar(3);
  const tree = { layers: [{ kernel: a, bias: b }], head: c };

  it('flattens depth-first in insertion order, with dot paths', () => {
    expect(flatten(tree).map((e) => [e.path, e.value])).toEqual([
      ['layers.0.kernel', a],
      ['layers.0.bias', b],
      ['head', c],
    ]);
    expect(paths(tree)).toEqual(['layers.0.kernel', 'layers.0.bias', 'head']);
    expect(paths(a)).toEqual(['']);
    expect(paths({})).toEqual([]);
  });

  it('treats tensors and class instances as leaves, and numbers too', () => {
    expect(flatten({ n: 3, t: a }).map((e) => e.value)).toEqual([3, a]);
  });

  it('maps leaves with their paths and keeps the structure', () => {
    const out = map(tree, (_leaf, path) => path.length);
    expect(out).toEqual({ layers: [{ kernel: 'layers.0.kernel'.length, bias: 'layers.0.bias'.length }], head: 4 });
  });

  it('unflattens leaves in flatten order and rejects a wrong count', () => {
    expect(unflatten(tree, [1, 2, 3])).toEqual({ layers: [{ kernel: 1, bias: 2 }], head: 3 });
    expect(() => unflatten(tree, [1, 2])).toThrow(TreeMismatchError);
    expect(() => unflatten(tree, [1, 2, 3, 4])).toThrow(/4 leaves given for a tree of 3/);
  });

  it('zips two trees of the same structure', () => {
    const z = zip(tree, { layers: [{ kernel: 'k', bias: 'b' }], head: 'h' });
    expect(z.map((e) => [e.path, e.b])).toEqual([
      ['layers.0.kernel', 'k'],
      ['layers.0.bias', 'b'],
      ['head', 'h'],
    ]);
  });

  it('names the path of the first structural difference', () => {
    const missing = () => assertSameStructure(tree, { layers: [{ kernel: a }], head: c });
    expect(missing).toThrow(TreeMismatchError);
    expect(missing).toThrow(/missing 'layers\.0\.bias'/);
    try {
      assertSameStructure(tree, { layers: [{ kernel: a, bias: b, extra: c }], head: c });
    } catch (e) {
      expect((e as TreeMismatchError).path).toBe('layers.0.extra');
    }
    expect(() => assertSameStructure(tree, { layers: [], head: c })).toThrow(/at 'layers': arrays of length 1 and 0/);
    expect(() => assertSameStructure(tree, { layers: { 0: {} }, head: c })).toThrow(/at 'layers': one tree has an array/);
    expect(() => assertSameStructure({ w: { x: a } }, { w: a })).toThrow(/at 'w': one tree has an object, the other a /);
  });

  it('rejects keys whose dots make two paths collide', () => {
    expect(() => flatten({ 'a.b': a, a: { b: b } })).toThrow(/two leaves have the path 'a\.b'/);
  });
});
