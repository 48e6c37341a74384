import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import type { LayersModelLike } from './doctor-types.js';
import { copyLayersModel } from './layers-model.js';
import type { GradientReport } from './report.js';
import { originalWeightNames, withOriginalNames } from './weight-names.js';

describe('withOriginalNames', () => {
  it("gives a copy's weights the names the user's model has, in layers and in the findings' text", () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3], name: 'first' })] });
    const copy = copyLayersModel(model as unknown as LayersModelLike);
    const names = originalWeightNames(copy as unknown as { trainableWeights: { name: string; originalName?: string }[] });
    const unique = [...names.keys()];
    expect(unique).toHaveLength(2); // tfjs-layers made the copy's names unique
    expect([...names.values()]).toEqual(['first/kernel', 'first/bias']);
    const kernel = unique[0] as string;
    const report = {
      layers: [{ name: kernel }],
      findings: [{ what: `${kernel} is small`, where: `${kernel} … ${kernel}`, why: '', toTry: [kernel] }],
    } as unknown as GradientReport;
    const renamed = withOriginalNames(report, names);
    expect(renamed.layers[0]?.name).toBe('first/kernel');
    expect(renamed.findings[0]).toMatchObject({ what: 'first/kernel is small', where: 'first/kernel … first/kernel', toTry: ['first/kernel'] });
    expect(withOriginalNames(report, new Map())).toBe(report);
    model.dispose();
    copy.dispose();
  });

  it('reads `…/kernel_10` whole, not as `…/kernel_1` and a 0', () => {
    const names = new Map([
      ['d/kernel_1', 'd/kernel'],
      ['d/kernel_10', 'e/kernel'],
    ]);
    const report = { layers: [], findings: [{ what: 'd/kernel_10 and d/kernel_1', where: '', why: '', toTry: [] }] } as unknown as GradientReport;
    expect(withOriginalNames(report, names).findings[0]?.what).toBe('e/kernel and d/kernel');
  });
});
