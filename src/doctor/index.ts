export { doctor, type Check, type CheckStatus, type DoctorReport } from './checks.js';
export { describeDoctor } from './format.js';
