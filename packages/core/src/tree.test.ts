import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { TreeMismatchError } from './errors.js';
import { alignLeaves, assertSameStructure, flatten, map, paths, unflatten, zip } from './tree.js';

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
      expect.unreachable();
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

  it('zip pairs by key whatever the key order (was by position: { w2, w1 } gave w1 the leaf of w2)', () => {
    const z = zip({ w1: a, w2: b }, { w2: 'g2', w1: 'g1' });
    expect(z.map((e) => [e.path, e.b])).toEqual([
      ['w1', 'g1'],
      ['w2', 'g2'],
    ]);
    expect(alignLeaves({ x: [a, { y: b }] }, { x: [1, { y: 2 }] })).toEqual([1, 2]);
  });

  it("treats keys named like Object.prototype's members as ordinary own keys", () => {
    expect(() => assertSameStructure({ constructor: a }, {})).toThrow(/missing 'constructor'/);
    expect(() => assertSameStructure({}, { toString: a })).toThrow(/unexpected 'toString'/);
    expect(zip({ constructor: a, valueOf: b }, { valueOf: 2, constructor: 1 }).map((e) => e.b)).toEqual([1, 2]);
  });

  it("refuses a '__proto__' key, cycles and absurd depth with a TreeMismatchError naming the path", () => {
    const proto = JSON.parse('{"w": 1, "__proto__": 2}');
    expect(() => flatten(proto)).toThrow(/may not be '__proto__'/);
    const cyclic: Record<string, unknown> = { w: a };
    cyclic.self = { back: cyclic };
    try {
      flatten(cyclic as never);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TreeMismatchError);
      expect((e as TreeMismatchError).path).toBe('self.back');
    }
    expect(() => map(cyclic as never, (x) => x)).toThrow(TreeMismatchError);
    expect(() => zip(cyclic as never, cyclic as never)).toThrow(TreeMismatchError);
    let deep: unknown = a;
    for (let i = 0; i < 1000; i++) deep = { d: deep };
    expect(() => flatten(deep as never)).toThrow(/nested more than/);
  });
});
