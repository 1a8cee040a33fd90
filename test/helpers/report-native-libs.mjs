// Preloaded into a CLI child process: on exit, print whether onnxruntime's native library was ever mapped.
import { readFileSync } from 'node:fs';

let seen = false;
const look = () => {
  seen ||= readFileSync('/proc/self/maps', 'utf8').includes('onnxruntime');
};
const timer = setInterval(look, 20);
timer.unref();
process.on('exit', () => {
  look();
  process.stderr.write(`\nnative-onnxruntime-loaded=${seen}\n`);
});
