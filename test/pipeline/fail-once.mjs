// Preloaded into memsieve processes (NODE_OPTIONS=--import) by the pipeline tests: the shard named in
// MEMSIEVE_TEST_FAIL ("KIND:INDEX") fails on its first attempt only; MEMSIEVE_TEST_FAIL_MARK records it.
import { existsSync, writeFileSync } from 'node:fs';

const spec = process.env.MEMSIEVE_TEST_FAIL;
const mark = process.env.MEMSIEVE_TEST_FAIL_MARK;
if (spec && mark) {
  const [kind, index] = spec.split(':');
  const args = process.argv.slice(2);
  const at = args.indexOf('--shard-index');
  if (args[0] === kind && at >= 0 && args[at + 1] === index && !existsSync(mark)) {
    writeFileSync(mark, `${process.pid}\n`);
    process.stderr.write(`injected failure: ${kind} shard ${index}, first attempt\n`);
    process.exit(3);
  }
}
