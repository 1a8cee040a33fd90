// Dependency order: a step runs after every step that writes one of its inputs (an input inside an
// output folder counts too). Ties keep the file's order, so a plan reads like the file.
import { sep } from 'node:path';
import { UserError } from '../errors.js';
import { filePaths, type Pipeline, type Step } from './spec.js';

export interface PlannedStep {
  step: Step;
  /** ids of the steps whose outputs it reads */
  after: string[];
}

function within(path: string, output: string): boolean {
  return path === output || path.startsWith(output + sep);
}

/** The steps in an order that respects outputs → inputs; a cycle is an error naming its steps. */
export function planSteps(pipeline: Pipeline): PlannedStep[] {
  const producers = pipeline.steps.flatMap((step) => Object.values(step.outputs).map((out) => ({ out, id: step.id })));
  const after = new Map<string, string[]>();
  for (const step of pipeline.steps) {
    const deps = new Set<string>();
    for (const arg of Object.values(step.inputs)) {
      for (const path of filePaths(arg)) {
        for (const p of producers) if (p.id !== step.id && within(path, p.out)) deps.add(p.id);
      }
    }
    after.set(step.id, [...deps]);
  }
  const done = new Set<string>();
  const order: PlannedStep[] = [];
  while (order.length < pipeline.steps.length) {
    const next = pipeline.steps.find((s) => !done.has(s.id) && after.get(s.id)!.every((d) => done.has(d)));
    if (!next) {
      const stuck = pipeline.steps.filter((s) => !done.has(s.id)).map((s) => s.id);
      throw new UserError(`${pipeline.file}: steps ${stuck.join(', ')} read each other's outputs in a cycle; no order can run them`);
    }
    done.add(next.id);
    order.push({ step: next, after: after.get(next.id)! });
  }
  return order;
}

/** Inputs that no step writes: they must exist before the run starts. */
export function externalInputs(pipeline: Pipeline): Array<{ step: Step; key: string; path: string }> {
  const outs = pipeline.steps.flatMap((s) => Object.values(s.outputs));
  const result: Array<{ step: Step; key: string; path: string }> = [];
  for (const step of pipeline.steps) {
    for (const [key, arg] of Object.entries(step.inputs)) {
      for (const path of filePaths(arg)) if (!outs.some((o) => within(path, o))) result.push({ step, key, path });
    }
  }
  return result;
}
