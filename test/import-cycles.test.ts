// The house stays untangled: no import cycle among src/ files, counting type-only imports, re-exports and
// dynamic import() (a cycle of types still ties two files into one idea). Imports are read with the
// TypeScript compiler's own pre-processor, not a regular expression.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/kit.js';

const SRC = resolve(import.meta.dirname, '..', 'src');

function sourceFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Each file's relative imports as files; an import that names no file fails (it would hide an edge). */
function importGraph(folder: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(folder)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .filter((ref) => ref.fileName.startsWith('.'))
      .map((ref) => {
        const base = resolve(dirname(file), ref.fileName);
        const target = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p) && statSync(p).isFile());
        if (!target) throw new Error(`${relative(folder, file)}: cannot resolve import '${ref.fileName}'`);
        return target;
      });
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Every cycle's files (strongly connected components of more than one file, or a file importing itself), by Tarjan's algorithm. */
function importCycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (file: string) => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || graph.get(file)!.includes(file)) cycles.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return cycles;
}

/** A cycle as its files and the imports that tie them, for the failure message. */
function describeCycle(folder: string, graph: Map<string, string[]>, cycle: string[]): string {
  return cycle.map((file) => `${relative(folder, file)} imports ${graph.get(file)!.filter((t) => cycle.includes(t)).map((t) => relative(folder, t)).join(', ')}`).join('; ');
}

describe('import cycles', () => {
  it('src/ has none (type-only imports, re-exports and import() included)', () => {
    const graph = importGraph(SRC);
    expect(graph.size).toBeGreaterThan(100);
    expect(importCycles(graph).map((cycle) => describeCycle(SRC, graph, cycle))).toEqual([]);
  });

  it('finds a cycle made only of a type import, through a folder index, and names its files', () => {
    const folder = tempDir('memsieve-cycles-');
    mkdirSync(join(folder, 'b'));
    writeFileSync(join(folder, 'a.ts'), "import type { B } from './b/index.js';\nexport interface A { b: B }\n");
    writeFileSync(join(folder, 'b', 'index.ts'), "export { type B } from './b.js';\n");
    writeFileSync(join(folder, 'b', 'b.ts'), "import type { A } from '../a.js';\nexport interface B { a?: A }\n");
    writeFileSync(join(folder, 'c.ts'), "import { type A } from './a.js';\nexport const c = (await import('./c.js')) as unknown as A;\n");
    const graph = importGraph(folder);
    const cycles = importCycles(graph).map((cycle) => describeCycle(folder, graph, cycle));
    expect(cycles.sort()).toEqual(['a.ts imports b/index.ts; b/b.ts imports a.ts; b/index.ts imports b/b.ts', 'c.ts imports c.ts']);
  });
});
