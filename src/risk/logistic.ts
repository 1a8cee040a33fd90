// L2-regularized logistic regression, fitted by Newton's method (IRLS) with a backtracking line search.
// Hand-written: no maintained npm package fits this model (see docs/risk.md: ml-logistic-regression
// has no intercept, no L2, no standardization, fixed-step gradient ascent). The objective is exactly
// scikit-learn's LogisticRegression(penalty='l2', C) with an unpenalized intercept:
//   minimize  Σ_i [log(1 + e^{z_i}) − y_i z_i] + ‖w‖² / (2C),   z_i = b + Σ_j w_j x_ij
// so both converge to the same optimum (the objective is strictly convex in w, and in b given both classes).
import { UserError } from '../errors.js';
import { sigmoid } from './schema.js';

export interface LogisticOptions {
  /** inverse regularization strength, as scikit-learn's C */
  C?: number;
  maxIterations?: number;
  /** converged when the largest Newton step is below tolerance · (1 + largest parameter) */
  tolerance?: number;
}

export interface LogisticFit {
  coefficients: Float64Array;
  intercept: number;
  iterations: number;
}

export interface Standardization {
  mean: Float64Array;
  std: Float64Array;
  /** (x − mean) / std per column */
  columns: Float64Array[];
}

/**
 * Centers and scales each column as scikit-learn's StandardScaler (population std, ddof = 0).
 * `names` label the columns in the error for a constant one.
 */
export function standardize(columns: Float64Array[], names: string[]): Standardization {
  const d = columns.length;
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  const scaled: Float64Array[] = [];
  for (let j = 0; j < d; j++) {
    const x = columns[j];
    const n = x.length;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += x[i];
    const mu = sum / n;
    // two-pass variance: stable for features with a large mean (perplexities)
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (x[i] - mu) * (x[i] - mu);
    const sd = Math.sqrt(ss / n);
    if (!(sd > 1e-12 * Math.max(1, Math.abs(mu)))) {
      throw new UserError(`feature ${names[j]} is constant (${mu}) over the ${n} sampled rows: it cannot be standardized; drop it with --features`);
    }
    mean[j] = mu;
    std[j] = sd;
    const z = new Float64Array(n);
    for (let i = 0; i < n; i++) z[i] = (x[i] - mu) / sd;
    scaled.push(z);
  }
  return { mean, std, columns: scaled };
}

/** Fits the model on feature columns `x` (one array per feature) and labels `y` (0/1). */
export function fitLogistic(x: Float64Array[], y: Uint8Array, options: LogisticOptions = {}): LogisticFit {
  const C = options.C ?? 1;
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-10;
  const d = x.length;
  const n = y.length;
  const m = d + 1; // parameters: w_0..w_{d-1}, then the intercept
  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i];
  if (positives === 0 || positives === n) {
    throw new UserError(`logistic regression needs both classes, got ${positives} positives of ${n} rows`);
  }
  for (let j = 0; j < d; j++) {
    if (x[j].length !== n) throw new Error(`fitLogistic: feature ${j} has ${x[j].length} rows, labels ${n}`);
  }
  const lambda = 1 / C;

  let beta = new Float64Array(m);
  let state = evaluate(x, y, beta, lambda);
  if (!Number.isFinite(state.loss)) throw new UserError('logistic regression: the features hold NaN or infinite values');
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const step = solveCholesky(state.hessian, state.gradient, m);
    if (!step) {
      throw new UserError(
        `logistic regression: the Hessian is singular at iteration ${iteration} (features collinear or classes perfectly separated); check the features`,
      );
    }
    const scale = 1 + maxAbs(beta);
    // at the optimum to within tolerance: the Newton step from here is negligible
    if (maxAbs(step) <= tolerance * scale) return finish(beta, d, iteration - 1);
    const decrease = dot(state.gradient, step);
    // predicted loss decrease (half the squared Newton decrement) below rounding noise of the loss: the
    // quadratic model is exact here, so take the full step and stop (a line search cannot see a decrease)
    if (decrease <= 1e-10 * (1 + Math.abs(state.loss))) {
      for (let k = 0; k < m; k++) beta[k] -= step[k];
      return finish(beta, d, iteration);
    }
    // Armijo backtracking: Newton's full step is almost always accepted; halving guards early iterations
    let t = 1;
    const candidate = new Float64Array(m);
    let next: Evaluation | undefined;
    for (let halvings = 0; halvings < 40; halvings++) {
      for (let k = 0; k < m; k++) candidate[k] = beta[k] - t * step[k];
      // derivatives computed with the loss: the full step is almost always accepted, and they are needed next
      const trial = evaluate(x, y, candidate, lambda);
      if (trial.loss <= state.loss - 1e-4 * t * decrease) {
        next = trial;
        break;
      }
      t /= 2;
    }
    const largestStep = t * maxAbs(step);
    if (!next) {
      // no decrease even for tiny steps: at the optimum to within rounding, or numerically stuck
      if (largestStep <= 1e-6 * scale) return finish(beta, d, iteration);
      throw new UserError(`logistic regression: line search failed at iteration ${iteration}; the features may hold extreme values`);
    }
    beta = candidate;
    if (largestStep <= tolerance * scale) return finish(beta, d, iteration);
    state = next;
  }
  throw new UserError(`logistic regression did not converge in ${maxIterations} Newton iterations; the data may be degenerate (check features for extreme values)`);
}

/** Probabilities sigmoid(b + Σ w_j x_j) for feature columns already standardized. */
export function predictLogistic(fit: LogisticFit, x: Float64Array[]): Float64Array {
  const n = x.length === 0 ? 0 : x[0].length;
  const z = new Float64Array(n).fill(fit.intercept);
  for (let j = 0; j < x.length; j++) {
    const w = fit.coefficients[j];
    const col = x[j];
    for (let i = 0; i < n; i++) z[i] += w * col[i];
  }
  for (let i = 0; i < n; i++) z[i] = sigmoid(z[i]);
  return z;
}

interface Evaluation {
  loss: number;
  gradient: Float64Array;
  /** row-major m × m */
  hessian: Float64Array;
}

function finish(beta: Float64Array, d: number, iterations: number): LogisticFit {
  return { coefficients: beta.slice(0, d), intercept: beta[d], iterations };
}

// Penalized loss with its gradient and Hessian. Column-wise passes over typed arrays: faster in V8
// than a row loop with an inner loop over features.
function evaluate(x: Float64Array[], y: Uint8Array, beta: Float64Array, lambda: number): Evaluation {
  const d = x.length;
  const m = d + 1;
  const n = y.length;
  const z = new Float64Array(n).fill(beta[d]);
  for (let j = 0; j < d; j++) {
    const w = beta[j];
    const col = x[j];
    for (let i = 0; i < n; i++) z[i] += w * col[i];
  }
  // loss log(1 + e^z) − y z and p = sigmoid(z) from one exp(−|z|), without overflow;
  // then z is reused for the residual p − y, and h holds the IRLS weights p(1 − p)
  let loss = 0;
  const h = new Float64Array(n);
  let gradientIntercept = 0;
  let hessianIntercept = 0;
  for (let i = 0; i < n; i++) {
    const zi = z[i];
    const e = Math.exp(-Math.abs(zi));
    loss += (zi > 0 ? zi : 0) + Math.log1p(e) - y[i] * zi;
    const p = zi >= 0 ? 1 / (1 + e) : e / (1 + e);
    h[i] = p * (1 - p);
    z[i] = p - y[i];
    gradientIntercept += z[i];
    hessianIntercept += h[i];
  }
  let penalty = 0;
  for (let j = 0; j < d; j++) penalty += beta[j] * beta[j];
  loss += (lambda * penalty) / 2;
  const gradient = new Float64Array(m);
  const hessian = new Float64Array(m * m);
  gradient[d] = gradientIntercept;
  hessian[d * m + d] = hessianIntercept;
  const hx = new Float64Array(n);
  for (let a = 0; a < d; a++) {
    const xa = x[a];
    let g = 0;
    let ha = 0;
    for (let i = 0; i < n; i++) {
      g += z[i] * xa[i];
      hx[i] = h[i] * xa[i];
      ha += hx[i];
    }
    gradient[a] = g + lambda * beta[a];
    hessian[a * m + d] = hessian[d * m + a] = ha;
    for (let b = 0; b <= a; b++) {
      const xb = x[b];
      let s = 0;
      for (let i = 0; i < n; i++) s += hx[i] * xb[i];
      hessian[a * m + b] = hessian[b * m + a] = s;
    }
    hessian[a * m + a] += lambda;
  }
  return { loss, gradient, hessian };
}

// Solves A s = g for symmetric positive definite A (m × m, row-major); undefined when A is not numerically PD.
function solveCholesky(a: Float64Array, g: Float64Array, m: number): Float64Array | undefined {
  const l = new Float64Array(m * m);
  let largestDiagonal = 0;
  for (let k = 0; k < m; k++) largestDiagonal = Math.max(largestDiagonal, a[k * m + k]);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * m + j];
      for (let k = 0; k < j; k++) s -= l[i * m + k] * l[j * m + k];
      if (i === j) {
        if (!(s > 1e-14 * largestDiagonal)) return undefined;
        l[i * m + i] = Math.sqrt(s);
      } else {
        l[i * m + j] = s / l[j * m + j];
      }
    }
  }
  const z = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = g[i];
    for (let k = 0; k < i; k++) s -= l[i * m + k] * z[k];
    z[i] = s / l[i * m + i];
  }
  const s = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let v = z[i];
    for (let k = i + 1; k < m; k++) v -= l[k * m + i] * s[k];
    s[i] = v / l[i * m + i];
  }
  return s;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s = Math.max(s, Math.abs(a[i]));
  return s;
}
