// Replace (or append) one "## name" section of docs/benchmarks.md, leaving the others as they are.
import { readFileSync, writeFileSync } from 'node:fs';

export function writeBenchmarkSection(name: string, body: string, path = 'docs/benchmarks.md'): void {
  const text = readFileSync(path, 'utf8');
  const heading = `## ${name}\n`;
  const start = text.indexOf(heading);
  const section = `${heading}\n${body.trim()}\n\n`;
  if (start < 0) {
    writeFileSync(path, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const next = text.indexOf('\n## ', start + heading.length);
  writeFileSync(path, text.slice(0, start) + section + (next < 0 ? '' : text.slice(next + 1)));
}
