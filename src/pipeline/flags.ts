// Before anything runs: every input, output and option of every step must be a flag its command
// has, so a typo in the last step fails in a second, not after hours of scoring.
import { UserError } from '../errors.js';
import { flagOf } from './args.js';
import { loadCommand } from './commands.js';
import type { Pipeline } from './spec.js';

export async function checkStepFlags(pipeline: Pipeline, file: string): Promise<void> {
  for (const [i, step] of pipeline.steps.entries()) {
    const where = `${file}: steps[${i}] (id "${step.id}")`;
    const command = await loadCommand(step.kind);
    if (!command) throw new UserError(`${where}: memsieve ${step.kind} is not available in this build`);
    const known = new Set(command.options.map((o) => o.long).filter((f): f is string => Boolean(f)));
    const sections = { inputs: step.inputs, outputs: step.outputs, options: step.options };
    for (const [section, values] of Object.entries(sections)) {
      for (const key of Object.keys(values)) {
        if (known.has(flagOf(key))) continue;
        const flags = [...known].filter((f) => !/^--(shard-|help|version)/.test(f)).join(' ');
        throw new UserError(`${where}: key "${section}.${key}": memsieve ${step.kind} has no option ${flagOf(key)} (options: ${flags})`);
      }
    }
  }
}
