// The smallest ONNX model (y = Identity(x), one float), encoded here so that `memsieve doctor` can open a
// session on each execution provider without a model file: the npm package ships no fixtures, and a
// provider that cannot start fails on any model. Field numbers are onnx.proto's.

function varint(value: number): number[] {
  const bytes: number[] = [];
  while (value > 0x7f) {
    bytes.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  bytes.push(value);
  return bytes;
}

const int = (field: number, value: number) => [...varint(field << 3), ...varint(value)];
const message = (field: number, body: number[]) => [...varint((field << 3) | 2), ...varint(body.length), ...body];
const text = (field: number, value: string) => message(field, [...new TextEncoder().encode(value)]);

// ValueInfoProto{name, type: TypeProto{tensor_type: {elem_type: FLOAT, shape: [1]}}}
const floatVector = (name: string) => [...text(1, name), ...message(2, message(1, [...int(1, 1), ...message(2, message(1, int(1, 1)))]))];

/** ModelProto{ir_version 8, opset 13, graph{node Identity(x) -> y, input x, output y}} */
export function identityModel(): Uint8Array {
  const node = [...text(1, 'x'), ...text(2, 'y'), ...text(4, 'Identity')];
  const graph = [...message(1, node), ...text(2, 'doctor'), ...message(11, floatVector('x')), ...message(12, floatVector('y'))];
  return Uint8Array.from([...int(1, 8), ...text(2, 'memsieve doctor'), ...message(7, graph), ...message(8, [...text(1, ''), ...int(2, 13)])]);
}
