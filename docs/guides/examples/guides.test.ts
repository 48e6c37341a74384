// Every code block of every guide is compiled: a ```ts block in docs/guides/*.md must be, character for
// character, an example file under docs/guides/examples (region markers left out) or one region of one
// (`// #region name` … `// #endregion`, indentation removed). `tsc -p docs/tsconfig.json` (part of
// `npm test`) compiles those files and the tests beside them run them on cpu, wasm and webgpu.
// ```sh blocks (commands) and ```text blocks (program output) are exempt; any other fence fails here.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const guidesDir = fileURLToPath(new URL('..', import.meta.url));
const examplesDir = fileURLToPath(new URL('.', import.meta.url));

/** The languages whose blocks are not compiled: shell commands and program output. */
const EXEMPT = new Set(['sh', 'text']);
const REGION = /^\s*\/\/ #region\b/;
const END_REGION = /^\s*\/\/ #endregion\b/;

interface Block {
  readonly guide: string;
  readonly line: number;
  readonly lang: string;
  readonly code: string;
}

/** The fenced code blocks of a markdown file, with the line each starts on. */
function codeBlocks(guide: string, markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(lines[i] as string);
    if (!open) continue;
    const fence = open[2] as string;
    const lang = (open[3] as string).trim().split(/\s+/)[0] ?? '';
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j] as string).trimStart().startsWith(fence)) body.push(lines[j++] as string);
    blocks.push({ guide, line: i + 1, lang, code: body.join('\n').trim() });
    i = j;
  }
  return blocks;
}

/** Removes the indentation common to every non-blank line. */
function dedent(lines: readonly string[]): string {
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)?.[0].length ?? 0);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines
    .map((l) => l.slice(cut))
    .join('\n')
    .trim();
}

/** What a guide may show of an example file: the whole file without region markers, and each region. */
function showable(source: string): string[] {
  const lines = source.split('\n');
  const out = [dedent(lines.filter((l) => !REGION.test(l) && !END_REGION.test(l)))];
  const open: number[] = [];
  lines.forEach((l, i) => {
    if (REGION.test(l)) open.push(i);
    else if (END_REGION.test(l)) {
      const start = open.pop();
      if (start === undefined) throw new Error(`#endregion without #region at line ${i + 1}`);
      out.push(dedent(lines.slice(start + 1, i).filter((x) => !REGION.test(x) && !END_REGION.test(x))));
    }
  });
  if (open.length) throw new Error(`#region without #endregion at line ${(open[0] as number) + 1}`);
  return out;
}

/** Every example file (not the tests), recursively. */
function exampleFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return exampleFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

const guides = readdirSync(guidesDir).filter((f) => f.endsWith('.md'));
const examples = new Map(exampleFiles(examplesDir).map((f) => [relative(examplesDir, f), showable(readFileSync(f, 'utf8'))]));
const blocks = guides.flatMap((g) => codeBlocks(g, readFileSync(join(guidesDir, g), 'utf8')));

describe('guides: every code block is compiled', () => {
  it('finds the guides and their blocks', () => {
    expect(guides.length).toBeGreaterThanOrEqual(6);
    expect(blocks.filter((b) => b.lang === 'ts').length).toBeGreaterThanOrEqual(20);
  });

  it('fences every block as ts, sh or text', () => {
    const bad = blocks.filter((b) => b.lang !== 'ts' && !EXEMPT.has(b.lang)).map((b) => `${b.guide}:${b.line} is fenced as '${b.lang}'`);
    expect(bad).toEqual([]);
  });

  it('shows in every ts block an example file or one of its regions, verbatim', () => {
    const missing = blocks
      .filter((b) => b.lang === 'ts')
      .filter((b) => ![...examples.values()].some((parts) => parts.includes(b.code)))
      .map((b) => `${b.guide}:${b.line}: this ts block is not (a region of) any file in docs/guides/examples — copy it there so tsc compiles it`);
    expect(missing).toEqual([]);
  });

  it('reads regions and fences as documented', () => {
    const src = ['import x from "y";', 'export function f() {', '  // #region body', '  const a = 1;', '  return a;', '  // #endregion', '}'].join('\n');
    expect(showable(src)).toEqual(['import x from "y";\nexport function f() {\n  const a = 1;\n  return a;\n}', 'const a = 1;\nreturn a;']);
    const md = ['# t', '```ts', 'const a = 1;', '```', '', '```sh', 'npm test', '```', '```', 'bare', '```'].join('\n');
    expect(codeBlocks('t.md', md).map((b) => [b.line, b.lang, b.code])).toEqual([
      [2, 'ts', 'const a = 1;'],
      [6, 'sh', 'npm test'],
      [9, '', 'bare'],
    ]);
  });

  it('every public package README links its guides, and each link resolves', () => {
    const packagesDir = fileURLToPath(new URL('../../../packages', import.meta.url));
    const readmes = readdirSync(packagesDir)
      .filter((d) => d !== 'testing' && existsSync(join(packagesDir, d, 'README.md')))
      .map((d) => join(packagesDir, d, 'README.md'));
    expect(readmes.length).toBeGreaterThanOrEqual(9);
    const problems = readmes.flatMap((readme) => {
      const links = [...readFileSync(readme, 'utf8').matchAll(/\]\((\.\.\/\.\.\/docs\/guides\/[^)#]+)\)/g)].map((m) => m[1] as string);
      if (links.length === 0) return [`${relative(packagesDir, readme)} links no guide`];
      return links.filter((l) => !existsSync(resolve(dirname(readme), l))).map((l) => `${relative(packagesDir, readme)}: ${l} does not exist`);
    });
    expect(problems).toEqual([]);
  });
});
