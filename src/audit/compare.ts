// `memsieve compare`: read the id and label columns of several audits, join them, write the overlap
// sets (overlap.json) and optionally the figure. Only two columns per audit are held in memory.
import { UserError } from '../errors.js';
import { openReader, writeFileAtomic } from '../io/index.js';
import { renderOverlapSvg } from './figure.js';
import { compareAudits, type AuditLabels, type OverlapReport } from './overlap.js';
import { IdIndex } from '../id-index.js';

export interface CompareOptions {
  /** "name=path" pairs, e.g. teacher=t.parquet */
  audits: string[];
  output: string;
  figure?: string;
  idColumn?: string;
  labelColumn?: string;
}

/** Split a `--audit name=path` value. */
export function parseAuditArgument(value: string): { name: string; path: string } {
  const at = value.indexOf('=');
  if (at <= 0 || at === value.length - 1) {
    throw new UserError(`--audit ${value}: expected name=path, e.g. --audit teacher=teacher.audit.parquet`);
  }
  return { name: value.slice(0, at), path: value.slice(at + 1) };
}

/** The id and label of every row of one audit file; duplicate ids and unusable labels are UserErrors. */
/** `flag` names the option in errors (default `--audit name=path`). */
export async function readAuditLabels(name: string, path: string, idColumn = 'id', labelColumn = 'memorized', flag = `--audit ${name}=${path}`): Promise<AuditLabels> {
  const reader = openReader(path);
  const ids: string[] = [];
  const labels: (boolean | null)[] = [];
  const index = new IdIndex(); // not a Map: no 2^24-entry limit; compareAudits joins through it
  for await (const batch of reader) {
    const columnNames = () => batch.schema.fields.map((f) => f.name).join(', ');
    const idVector = batch.getChild(idColumn);
    if (!idVector) throw new UserError(`${flag}: no id column '${idColumn}' (columns: ${columnNames()}); choose one with --id-column`);
    const labelVector = batch.getChild(labelColumn);
    if (!labelVector) {
      throw new UserError(`${flag}: no label column '${labelColumn}' (columns: ${columnNames()}); is it a \`memsieve audit\` output? choose one with --label-column`);
    }
    for (let i = 0; i < batch.numRows; i++) {
      const row = ids.length;
      const rawId = idVector.get(i);
      if (rawId === null || rawId === undefined) throw new UserError(`${flag}: row ${row} has a null id in '${idColumn}'`);
      const id = String(rawId);
      const first = index.add(id, row);
      if (first >= 0) {
        throw new UserError(`${flag}: id '${id}' appears twice (rows ${first} and ${row}); ids must be unique to join audits`);
      }
      ids.push(id);
      labels.push(toLabel(labelVector.get(i), () => `${flag}: row ${row} (id ${id})`, labelColumn));
    }
  }
  return { name, path, ids, labels, index };
}

function toLabel(value: unknown, where: () => string, column: string): boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value;
  if ((typeof value === 'number' || typeof value === 'bigint') && (value == 0 || value == 1)) return value == 1;
  throw new UserError(`${where()}: '${column}' is ${String(value)}; labels must be true/false or 1/0`);
}

/** Read every audit, compute the overlap sets, write them (and the figure); nothing is written on error. */
export async function compareAuditFiles(options: CompareOptions): Promise<OverlapReport> {
  const parsed = options.audits.map(parseAuditArgument);
  const audits: AuditLabels[] = [];
  for (const { name, path } of parsed) audits.push(await readAuditLabels(name, path, options.idColumn, options.labelColumn));
  const report = compareAudits(audits);
  const figure = options.figure ? renderOverlapSvg(report) : undefined;
  await writeFileAtomic(options.output, `${JSON.stringify(report, null, 1)}\n`);
  if (options.figure && figure) await writeFileAtomic(options.figure, figure);
  return report;
}

/** One line per model and per set, for the terminal. */
export function describeOverlap(report: OverlapReport): string {
  const lines = [`compared ${report.rows_compared} rows (excluded: ${report.excluded.null_in_some_audit} null, ${report.excluded.not_in_every_audit} not in every audit)`];
  for (const [name, set] of Object.entries(report.memorized)) lines.push(`memorized by ${name}: ${set.count} (${(100 * set.rate).toFixed(2)}%)`);
  if (report.easy_to_memorize) lines.push(`easy_to_memorize (teacher ∩ baseline): ${report.easy_to_memorize.count}`);
  for (const [name, s] of Object.entries(report.students)) {
    const parts = [`${name}: student_only ${s.student_only.count}`];
    if (s.inherited) parts.push(`inherited ${s.inherited.count}`);
    if (s.easy_share !== undefined && s.easy_share !== null) parts.push(`easy share ${(100 * s.easy_share).toFixed(1)}%`);
    lines.push(parts.join(', '));
  }
  if (report.soft_and_hard) lines.push(`soft ∩ hard: ${report.soft_and_hard.count}`);
  return `${lines.join('\n')}\n`;
}
