import type { DoctorReport } from './checks.js';

const MARK = { ok: 'ok', missing: 'MISSING', info: '' } as const;

/** The report as a plain-text table (one row per check, the fix on its own indented line), then one summary line. */
export function describeDoctor(report: DoctorReport): string {
  const nameWidth = Math.max(...report.checks.map((c) => c.name.length));
  const lines = report.checks.map((check) => {
    const row = `${check.name.padEnd(nameWidth)}  ${MARK[check.status].padEnd(7)}  ${check.found}  [${check.used_for}]`;
    return check.fix ? `${row}\n${' '.repeat(nameWidth + 11)}fix: ${check.fix}` : row;
  });
  const missing = report.checks.filter((c) => c.status === 'missing');
  const summary = report.cpu_path_works
    ? `the CPU path works${missing.length ? `; ${missing.length} optional piece(s) missing: ${missing.map((c) => c.name).join(', ')}` : '; nothing missing'}`
    : `the CPU path does NOT work: ${missing.filter((c) => c.required).map((c) => c.name).join(', ')}`;
  return `${lines.join('\n')}\n\n${summary}\n`;
}
