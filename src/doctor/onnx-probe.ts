// Child process of `memsieve doctor`: opens a session on one execution provider and prints one JSON line.
// A child, so that onnxruntime's native log lines and a driver that crashes stay out of the doctor's table.
import * as ort from 'onnxruntime-node';
import { identityModel } from './tiny-onnx.js';

const device = process.argv[2];
const backends = ort.listSupportedBackends();
try {
  const session = await ort.InferenceSession.create(identityModel(), { executionProviders: [device] });
  const output = await session.run({ x: new ort.Tensor('float32', Float32Array.of(2.5), [1]) });
  const value = (output.y.data as Float32Array)[0];
  process.stdout.write(`${JSON.stringify(value === 2.5 ? { ok: true, backends } : { ok: false, backends, error: `Identity(2.5) gave ${value}` })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ ok: false, backends, error: (error as Error).message })}\n`);
}
