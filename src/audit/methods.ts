// How one batch of rows gets its memorization measures: one teacher-forced pass (default), then,
// only when the decoded measures are asked for, greedy decoding resumed at each row's first miss;
// or full greedy decoding of every row (--method greedy, the cross-check). docs/audit.md, "Methods".
import type { Generator, TokenIds } from '../models/types.js';
import { measureMemorization } from './measures.js';
import { generationFromMiss, onePassMeasures, promptAfterMiss, stepsAfterMiss, type OnePassMeasures } from './onepass.js';

export const AUDIT_METHODS = ['one-pass', 'greedy'] as const;
export type AuditMethod = (typeof AUDIT_METHODS)[number];

export interface BatchPlan {
  method: AuditMethod;
  prefixTokens: number;
  suffixTokens: number;
  /** no decoding runs past this many positions (the rows were truncated to it) */
  maxTokens: number;
  /** compute match_fraction, edit similarity and approx_memorized (needs the generations) */
  decoded: boolean;
  approxThreshold: number;
}

/** One row's measures; the decoded ones and the generation only when the plan asks for them. */
export interface RowAudit {
  memorized: boolean;
  lead: number;
  match_fraction?: number;
  approx_memorized?: boolean;
  generated?: TokenIds;
}

/** Measures of rows that each hold at least prefix + suffix tokens. */
export async function auditBatch(generator: Generator, rows: TokenIds[], plan: BatchPlan): Promise<RowAudit[]> {
  const { prefixTokens: k, suffixTokens: m } = plan;
  if (rows.length === 0) return [];
  const references = rows.map((ids) => ids.subarray(k, k + m));
  if (plan.method === 'greedy') {
    const generated = await generator.greedy(rows.map((ids) => ids.subarray(0, k)), m);
    return generated.map((tokens, j) => decodedAudit(references[j], tokens, plan));
  }
  const predicted = await generator.teacherForcedArgmax(rows.map((ids) => ids.subarray(0, k + m)), k);
  const exact = predicted.map((tokens, j) => onePassMeasures(references[j], tokens));
  if (!plan.decoded) return exact.map(({ memorized, lead }) => ({ memorized, lead }));
  const continuations = await decodeAfterMisses(generator, rows, exact, plan);
  return exact.map((measures, j) => decodedAudit(references[j], generationFromMiss(references[j], measures, continuations[j]), plan));
}

function decodedAudit(reference: TokenIds, generated: TokenIds, plan: BatchPlan): RowAudit {
  const { memorized, lead, match_fraction, approx_memorized } = measureMemorization(reference, generated, plan.approxThreshold);
  return { memorized, lead, match_fraction, approx_memorized, generated };
}

/**
 * Greedy continuations after each row's first miss (empty for memorized rows). Rows owe different
 * numbers of tokens; a call decodes as many as the neediest row owes and each row keeps its own
 * share, so one call serves most rows. A row goes to a later call when that would decode past
 * maxTokens positions (a model may not have more).
 */
async function decodeAfterMisses(generator: Generator, rows: TokenIds[], exact: OnePassMeasures[], plan: BatchPlan): Promise<TokenIds[]> {
  const continuations: TokenIds[] = rows.map(() => new Int32Array(0));
  let pending = exact.flatMap((measures, j) => (stepsAfterMiss(plan.suffixTokens, measures) > 0 ? [j] : []));
  const prompts = new Map(pending.map((j) => [j, promptAfterMiss(rows[j], plan.prefixTokens, exact[j])]));
  while (pending.length > 0) {
    const steps = Math.max(...pending.map((j) => stepsAfterMiss(plan.suffixTokens, exact[j])));
    const members = pending.filter((j) => prompts.get(j)!.length + steps <= plan.maxTokens);
    const tokens = await generator.greedy(members.map((j) => prompts.get(j)!), steps);
    members.forEach((j, i) => (continuations[j] = tokens[i].subarray(0, stepsAfterMiss(plan.suffixTokens, exact[j]))));
    const done = new Set(members);
    pending = pending.filter((j) => !done.has(j));
  }
  return continuations;
}
