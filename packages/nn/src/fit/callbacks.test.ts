import { HyperParameterError } from '@gradkit/core';
import { describe, expect, it } from 'vitest';
import { checkCallbacks } from './callbacks.js';
import { earlyStopping } from './early-stopping.js';

describe('checkCallbacks', () => {
  it('takes objects of hooks, instances of classes included', () => {
    class Logger {
      onEpochEnd() {}
    }
    const list = [{ onTrainBegin: () => undefined }, new Logger(), earlyStopping()];
    expect(checkCallbacks(list)).toEqual(list);
    expect(checkCallbacks(undefined)).toEqual([]);
  });

  it('names a factory not called, a Keras/snake spelling of a hook, a hook that is not a function, an object without hooks', () => {
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(HyperParameterError);
        return [(e as HyperParameterError).field, (e as Error).message];
      }
      throw new Error('no error');
    };
    expect(field(() => checkCallbacks([earlyStopping]))[0]).toBe('callbacks[0]');
    expect(field(() => checkCallbacks([{ on_epoch_end: () => undefined }]))).toEqual(['on_epoch_end', expect.stringContaining("did you mean 'onEpochEnd'")]);
    expect(field(() => checkCallbacks([{ onEpochEnd: 3 }]))[0]).toBe('callbacks[0].onEpochEnd');
    expect(field(() => checkCallbacks([{ log: () => undefined }]))[0]).toBe('callbacks[0]');
    expect(field(() => checkCallbacks({ onEpochEnd: () => undefined }))[0]).toBe('callbacks');
  });
});
