// The playground's "bring your own model" panel, end to end (run by tests/playground/run.mjs): the
// gradient lab's saved example models (apps/gradient-lab/examples: model.json + weights.bin written by
// tfjs's model.save, and data.csv) go in through the page's file inputs (setInputFiles: nothing is
// served or uploaded), the doctor runs in its worker on the backend, and the page must show the CLI's
// ranked table: for the deep sigmoid MLP the verdict `vanishing` and a recommended remedy whose final
// loss is below the baseline's (its remedied model downloads as a model.json that parses, naming a
// weights.bin of the manifest's size); for the healthy small conv net `healthy` and "nothing to
// change" (report.json downloads and parses). Bad input (cpu): a model.json that is not JSON, a CSV
// with a non-numeric cell, another model's weights.bin and no weight file each show their message in
// the panel, never a console stack.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The doctor's budget and batch in the test (small: SwiftShader runs the small conv net at about 1 s a step of 32). */
const BUDGET = 20;
const BATCH = 16;
const RUN_TIMEOUT_MS = 120_000;

/** Bytes per element of a stored weight dtype. */
const BYTES = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** The example's files: its model.json, its weight files (as the manifest names them) and data.csv. */
async function exampleFiles(examples, name) {
  const dir = join(examples, name);
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  const weights = json.weightsManifest.flatMap((g) => g.paths).map((p) => join(dir, p.replace(/^\.\//, '')));
  return { dir, model: join(dir, 'model.json'), weights, data: join(dir, 'data.csv'), json };
}

/** Waits until the panel's diagnosis `runId` ends; returns what the panel shows. */
async function settledDoctor(page, runId) {
  await page.waitForFunction(
    (id) => {
      const s = globalThis.__doctor;
      return s && s.runId >= id && ['done', 'failed', 'stopped', 'refused'].includes(s.state);
    },
    runId,
    { timeout: RUN_TIMEOUT_MS, polling: 200 },
  );
  return page.evaluate(() => {
    const text = (id) => document.getElementById(id)?.textContent ?? '';
    const header = [...document.querySelectorAll('#doctor-table thead th')].map((th) => th.textContent);
    const rows = [...document.querySelectorAll('#doctor-table tbody tr')].map((tr) => ({
      name: tr.dataset.name,
      recommended: tr.dataset.recommended === 'true',
      cells: Object.fromEntries([...tr.children].map((td, i) => [header[i], td.textContent])),
    }));
    return {
      ...globalThis.__doctor,
      status: text('doctor-status'),
      ranOn: document.getElementById('doctor-status').dataset.backend,
      message: document.getElementById('doctor-message').hidden ? '' : text('doctor-message'),
      verdict: text('doctor-verdict'),
      findings: [...document.querySelectorAll('#doctor-findings > li')].map((li) => li.dataset.kind ?? ''),
      notes: text('doctor-notes'),
      header,
      rows,
      recommendation: text('doctor-recommendation'),
    };
  });
}

/** A number of the table ('0.123', '1.2e-3', '∞', 'NaN', '–'). */
const cellNumber = (s) => (s === '∞' ? Number.POSITIVE_INFINITY : s === '–' || s === undefined ? Number.NaN : Number(s.replace(/^×/, '')));

/** Clicks the download link `file` and returns the downloaded bytes. */
async function download(page, file) {
  const link = `#doctor-panel a.download[data-file="${file}"]`;
  await page.waitForSelector(link, { timeout: 30_000 });
  const [d] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.click(link)]);
  return readFile(await d.path());
}

/** Picks the files (paths, or `{ name, mimeType, buffer }`), sets the budget, presses Diagnose; returns the panel once settled. */
async function diagnose(page, files, runId) {
  await page.setInputFiles('#doctor-model', files.model);
  await page.setInputFiles('#doctor-weights', files.weights);
  await page.setInputFiles('#doctor-data', files.data);
  await page.fill('#doctor-form [name="budget"]', String(BUDGET));
  await page.fill('#doctor-form [name="batch"]', String(BATCH));
  await page.click('#doctor-run');
  return settledDoctor(page, runId);
}

/**
 * The two examples on `backend`: the broken one (deep-sigmoid) and the healthy one (small-conv).
 * `ctx`: `{ open(browser, origin, backend) → { page, errors }, screenshot(page, name) → path, expect(ok, message), examples }`.
 */
export async function doctorRuns(browser, origin, backend, ctx) {
  const { expect } = ctx;
  const lines = [];
  const { page, errors } = await ctx.open(browser, origin, backend);
  try {
    // 1. The deep sigmoid MLP: vanishing; the recommended remedy lowers the final loss; its model downloads.
    let t0 = performance.now();
    const sigmoid = await exampleFiles(ctx.examples, 'deep-sigmoid');
    let s = await diagnose(page, sigmoid, 1);
    expect(s.state === 'done', `deep-sigmoid: the doctor ended '${s.state}': ${s.status} ${s.message}`);
    expect(s.ranOn === backend, `deep-sigmoid: asked for ${backend}, ran on ${s.ranOn}: ${s.status}`);
    expect(s.verdict === 'vanishing', `deep-sigmoid: verdict '${s.verdict}' (findings ${s.findings.join(', ')})`);
    expect(
      s.rows[0]?.name === 'baseline' && s.rows.length > 1,
      `deep-sigmoid: the table does not start with the baseline: ${JSON.stringify(s.rows.map((r) => r.name))}`,
    );
    const best = s.rows.find((r) => r.recommended);
    expect(
      best && s.recommended === best.name,
      `deep-sigmoid: no recommended remedy (${s.recommendation}); rows ${JSON.stringify(s.rows.map((r) => r.cells))}`,
    );
    const [baseLoss, bestLoss] = [cellNumber(s.rows[0].cells['final loss']), cellNumber(best.cells['final loss'])];
    expect(bestLoss < baseLoss, `deep-sigmoid: the recommended ${best.name} ends at loss ${bestLoss}, the baseline at ${baseLoss}`);
    expect(new RegExp(best.name).test(s.recommendation), `deep-sigmoid: the recommendation does not name ${best.name}: ${s.recommendation}`);
    const modelJson = JSON.parse((await download(page, 'model.json')).toString('utf8'));
    const weightsBin = await download(page, 'weights.bin');
    const specs = modelJson.weightsManifest?.[0]?.weights ?? [];
    const bytes = specs.reduce((a, w) => a + BYTES[w.dtype] * w.shape.reduce((p, d) => p * d, 1), 0);
    expect(
      modelJson.modelTopology && /^(\.\/)?weights\.bin$/.test(modelJson.weightsManifest[0].paths.join()),
      `deep-sigmoid: the downloaded model.json is not a tfjs model: ${JSON.stringify(modelJson).slice(0, 200)}`,
    );
    expect(weightsBin.length === bytes && bytes > 0, `deep-sigmoid: weights.bin holds ${weightsBin.length} bytes, model.json describes ${bytes}`);
    // A remedy that edits the model (an activation, an init, a layer) is in the downloaded model.json.
    const edits = !/^(lower-lr|raise-lr|warmup|clip-global-norm|guard|optimizer-)/.test(best.name);
    if (edits)
      expect(
        JSON.stringify(modelJson.modelTopology) !== JSON.stringify(sigmoid.json.modelTopology),
        `deep-sigmoid: the downloaded model.json has the original's topology, without ${best.name}`,
      );
    let shot = await ctx.screenshot(page, `${backend}-doctor-deep-sigmoid`);
    lines.push(
      `deep-sigmoid: ok, verdict ${s.verdict}, recommended ${best.name} (final loss ${bestLoss} vs ${baseLoss}), ${s.rows.length - 1} remedies; model.json${edits ? ` (with ${best.name})` : ''} + weights.bin (${bytes} bytes) downloaded; ${ctx.secs(t0)} (${s.phases}) → ${shot}`,
    );

    // 2. The small conv net: healthy, nothing to change; report.json downloads.
    t0 = performance.now();
    const conv = await exampleFiles(ctx.examples, 'small-conv');
    s = await diagnose(page, conv, 2);
    expect(s.state === 'done', `small-conv: the doctor ended '${s.state}': ${s.status} ${s.message}`);
    expect(s.verdict === 'healthy', `small-conv: verdict '${s.verdict}' (findings ${s.findings.join(', ')})`);
    expect(!s.recommended && !s.rows.some((r) => r.recommended), `small-conv: recommends ${s.recommended}`);
    expect(/nothing to change/i.test(s.recommendation), `small-conv: the recommendation says '${s.recommendation}'`);
    const report = JSON.parse((await download(page, 'report.json')).toString('utf8'));
    expect(
      report.verdict === 'healthy' && Number.isFinite(report.baseline?.finalLoss) && Array.isArray(report.remedies),
      `small-conv: report.json ${JSON.stringify(report).slice(0, 200)}`,
    );
    shot = await ctx.screenshot(page, `${backend}-doctor-small-conv`);
    lines.push(`small-conv: ok, verdict ${s.verdict}, "${s.recommendation.slice(0, 60)}"; report.json downloaded; ${ctx.secs(t0)} (${s.phases}) → ${shot}`);
    expect(errors.length === 0, `doctor: page errors: ${errors.join(' | ')}`);
    return lines;
  } finally {
    await page.close().catch(() => {});
  }
}

/**
 * Bad input in the panel (on `backend`): a model.json that is not JSON, a CSV with a non-numeric cell,
 * another model's weights.bin, no weight file. Each shows its message and no page error.
 */
export async function doctorBadInput(browser, origin, backend, ctx) {
  const { expect } = ctx;
  const lines = [];
  const sigmoid = await exampleFiles(ctx.examples, 'deep-sigmoid');
  const { page, errors } = await ctx.open(browser, origin, backend);
  try {
    let s = await diagnose(page, { ...sigmoid, model: { name: 'model.json', mimeType: 'application/json', buffer: Buffer.from('{ "modelTopology": ') } }, 1);
    expect(s.state === 'failed' && /model\.json is not valid JSON/.test(s.message), `non-JSON model.json: state '${s.state}', message '${s.message}'`);
    lines.push(`non-JSON model.json: ok, "${s.message.slice(0, 90)}…" → ${await ctx.screenshot(page, `${backend}-doctor-bad-model`)}`);
    // Row 2's first cell becomes "abc": the message names the row and the column.
    const csv = (await readFile(sigmoid.data, 'utf8')).split('\n');
    const column = csv[0].split(',')[0];
    csv[2] = ['abc', ...csv[2].split(',').slice(1)].join(',');
    s = await diagnose(page, { ...sigmoid, data: { name: 'data.csv', mimeType: 'text/csv', buffer: Buffer.from(csv.join('\n')) } }, 2);
    expect(
      s.state === 'failed' && /row 2/.test(s.message) && s.message.includes(column) && /"abc"/.test(s.message),
      `non-numeric cell: state '${s.state}', message '${s.message}'`,
    );
    lines.push(`non-numeric cell: ok, "${s.message.slice(0, 90)}…" → ${await ctx.screenshot(page, `${backend}-doctor-bad-csv`)}`);
    // Another model's weights.bin: its size is not the one model.json describes.
    const conv = await exampleFiles(ctx.examples, 'small-conv');
    s = await diagnose(page, { ...sigmoid, weights: conv.weights }, 3);
    expect(
      s.state === 'failed' && /weights\.bin holds \d+ bytes, but model\.json describes/.test(s.message),
      `foreign weights.bin: state '${s.state}', message '${s.message}'`,
    );
    lines.push(`foreign weights.bin: ok, "${s.message.slice(0, 90)}…"`);
    // No weight file picked: the page asks for it before starting.
    s = await diagnose(page, { ...sigmoid, weights: [] }, 4);
    expect(s.state === 'refused' && /Pick its weight file/.test(s.message), `no weights file: state '${s.state}', message '${s.message}'`);
    lines.push(`no weight file: ok, "${s.message.slice(0, 60)}…"`);
    expect(errors.length === 0, `doctor bad input: page errors: ${errors.join(' | ')}`);
    return lines;
  } finally {
    await page.close().catch(() => {});
  }
}
