// filter --rule: remove rows by a condition on score columns, with no model. A tiny grammar, parsed by
// hand (a tokenizer and a recursive-descent parser, ~100 lines): a parser-generator or expression
// library would accept far more than this (function calls, strings, arithmetic), and the point is that
// a rule is data a reviewer can read in the manifest, never code that runs.
//
//   rule    := or
//   or      := and ("or" and)*
//   and     := unary ("and" unary)*
//   unary   := "not" unary | primary
//   primary := "(" or ")" | column [op number]      a bare column is true when its value is true / non-zero
//   op      := "<" | "<=" | ">" | ">=" | "==" | "!="
//   column  := [A-Za-z_][A-Za-z0-9_]*  (not one of and, or, not)
//   number  := an optionally signed decimal, e.g. 20, -1.5, 1e-3
import { excerpt, UserError } from '../errors.js';

export type Comparison = '<' | '<=' | '>' | '>=' | '==' | '!=';

export type RuleNode =
  | { kind: 'column'; column: string; op?: Comparison; value?: number }
  | { kind: 'not'; operand: RuleNode }
  | { kind: 'and' | 'or'; operands: RuleNode[] };

export interface Rule {
  /** the rule as given */
  text: string;
  /** the rule re-printed from its parse: one form for one meaning (the manifest records it) */
  canonical: string;
  /** score columns the rule reads, in order of first use */
  columns: string[];
  root: RuleNode;
}

type Token = { kind: 'word' | 'number' | 'op' | 'open' | 'close'; text: string; at: number };

const KEYWORDS = new Set(['and', 'or', 'not']);
/** parentheses and "not" nested deeper than this are refused: the parser recurses once per level */
export const MAX_RULE_DEPTH = 100;
const TOKEN = /\s*(?:(\()|(\))|(<=|>=|==|!=|<|>)|([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*))/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(text);
    if (!m) throw ruleError(text, at + (text.slice(at).length - text.slice(at).trimStart().length), 'unexpected character');
    const start = m.index + m[0].length - (m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5]).length;
    if (m[1]) tokens.push({ kind: 'open', text: '(', at: start });
    else if (m[2]) tokens.push({ kind: 'close', text: ')', at: start });
    else if (m[3]) tokens.push({ kind: 'op', text: m[3], at: start });
    else if (m[4]) tokens.push({ kind: 'number', text: m[4], at: start });
    else tokens.push({ kind: 'word', text: m[5], at: start });
    at = TOKEN.lastIndex;
  }
  return tokens;
}

function ruleError(text: string, at: number, what: string): UserError {
  return new UserError(`--rule '${excerpt(text)}': ${what} at character ${at + 1}; a rule is column comparisons (<, <=, >, >=, ==, !=) with numbers and bare boolean columns, joined by and/or/not and parentheses, e.g. 'baseline_lead >= 20 or baseline_memorized'`);
}

/** Parses a rule; a UserError points at the character where it fails. */
export function parseRule(text: string): Rule {
  const tokens = tokenize(text);
  let k = 0;
  const peek = () => tokens[k];
  const fail = (what: string): never => {
    throw ruleError(text, peek()?.at ?? text.length, peek() ? `${what}, got "${peek().text}"` : `${what}, got the end of the rule`);
  };
  const isWord = (word: string) => peek()?.kind === 'word' && peek().text === word;
  const columns: string[] = [];
  let depth = 0;
  const nest = () => {
    if (++depth > MAX_RULE_DEPTH) fail(`parentheses and "not" nested more than ${MAX_RULE_DEPTH} deep`);
  };

  const parseOr = (): RuleNode => {
    const operands = [parseAnd()];
    while (isWord('or')) {
      k++;
      operands.push(parseAnd());
    }
    return operands.length === 1 ? operands[0] : { kind: 'or', operands };
  };
  const parseAnd = (): RuleNode => {
    const operands = [parseUnary()];
    while (isWord('and')) {
      k++;
      operands.push(parseUnary());
    }
    return operands.length === 1 ? operands[0] : { kind: 'and', operands };
  };
  const parseUnary = (): RuleNode => {
    if (isWord('not')) {
      nest();
      k++;
      const operand = parseUnary();
      depth--;
      return { kind: 'not', operand };
    }
    return parsePrimary();
  };
  const parsePrimary = (): RuleNode => {
    const token = peek();
    if (token?.kind === 'open') {
      nest();
      k++;
      const inner = parseOr();
      if (peek()?.kind !== 'close') fail('expected ")"');
      k++;
      depth--;
      return inner;
    }
    if (token?.kind !== 'word' || KEYWORDS.has(token.text)) return fail('expected a column name');
    k++;
    if (!columns.includes(token.text)) columns.push(token.text);
    if (peek()?.kind !== 'op') return { kind: 'column', column: token.text };
    const op = peek().text as Comparison;
    k++;
    if (peek()?.kind !== 'number') return fail(`expected a number after "${op}"`);
    const value = Number(peek().text);
    // the canonical form prints the number back: Infinity would not parse again
    if (!Number.isFinite(value)) fail('expected a number a double can hold (|x| < 1.8e308)');
    k++;
    return { kind: 'column', column: token.text, op, value };
  };

  if (tokens.length === 0) throw ruleError(text, 0, 'empty rule');
  const root = parseOr();
  if (k < tokens.length) fail('expected "and", "or" or the end of the rule');
  return { text, canonical: printRule(root), columns, root };
}

/** One printed form per rule: single spaces, parentheses only where precedence needs them. */
export function printRule(node: RuleNode, parent: 'or' | 'and' | 'not' | null = null): string {
  switch (node.kind) {
    case 'column':
      return node.op === undefined ? node.column : `${node.column} ${node.op} ${node.value}`;
    case 'not':
      return `not ${printRule(node.operand, 'not')}`;
    default: {
      const inner = node.operands.map((o) => printRule(o, node.kind)).join(` ${node.kind} `);
      const needs = parent === 'not' || (parent === 'and' && node.kind === 'or');
      return needs ? `(${inner})` : inner;
    }
  }
}

const COMPARE: Record<Comparison, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

/** The rule on one row: `values[j]` is rule.columns[j] (booleans as 1/0). */
export function evaluateRule(rule: Rule, values: ArrayLike<number>): boolean {
  const evaluate = (node: RuleNode): boolean => {
    switch (node.kind) {
      case 'column': {
        const v = values[rule.columns.indexOf(node.column)];
        return node.op === undefined ? v !== 0 : COMPARE[node.op](v, node.value!);
      }
      case 'not':
        return !evaluate(node.operand);
      case 'and':
        return node.operands.every(evaluate);
      case 'or':
        return node.operands.some(evaluate);
    }
  };
  return evaluate(rule.root);
}

/**
 * Why the rule holds for a row: its clauses (comparisons and bare columns, "not …" under a negation)
 * that are true for the row, in the rule's order.
 */
export function ruleReasons(rule: Rule, values: ArrayLike<number>): string[] {
  const reasons: string[] = [];
  const walk = (node: RuleNode, negated: boolean): void => {
    if (node.kind === 'column') {
      const holds = evaluateRule({ ...rule, root: node }, values);
      if (holds !== negated) reasons.push(negated ? (node.op === undefined ? `not ${node.column}` : `not (${printRule(node)})`) : printRule(node));
    } else if (node.kind === 'not') walk(node.operand, !negated);
    else node.operands.forEach((o) => walk(o, negated));
  };
  walk(rule.root, false);
  return reasons;
}

/** The first comparison with a number per column, in rule order: where the rule cuts that column. */
export function ruleCuts(root: RuleNode): Record<string, { op: Comparison; value: number }> {
  const cuts: Record<string, { op: Comparison; value: number }> = {};
  const visit = (node: RuleNode) => {
    if (node.kind === 'column') {
      if (node.op !== undefined && node.value !== undefined && !(node.column in cuts)) cuts[node.column] = { op: node.op, value: node.value };
    } else if (node.kind === 'not') visit(node.operand);
    else node.operands.forEach(visit);
  };
  visit(root);
  return cuts;
}

/** Where a comparison parts integer values: `>= 20` and `< 20` at 20, `> 20` and `<= 20` at 21 (== and != part nothing). */
export function integerCutEdge(cut: { op: Comparison; value: number }): number | undefined {
  if (cut.op === '==' || cut.op === '!=') return undefined;
  const edge = cut.op === '>' || cut.op === '<=' ? Math.floor(cut.value) + 1 : Math.ceil(cut.value);
  return edge;
}

/** The integer edge of each column the rule cuts: profileDistributions lays the integer bins on it. */
export function ruleCutEdges(text: string | undefined): Record<string, number> {
  if (text === undefined) return {};
  const edges: Record<string, number> = {};
  for (const [column, cut] of Object.entries(ruleCuts(parseRule(text).root))) {
    const edge = integerCutEdge(cut);
    if (edge !== undefined) edges[column] = edge;
  }
  return edges;
}
