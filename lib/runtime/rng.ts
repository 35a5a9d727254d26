/**
 * The one seeded random number generator used everywhere (xoshiro128** seeded by splitmix32).
 * Same seed, same stream, on every platform: it uses 32-bit integer arithmetic only.
 * @module
 */
import lgamma from "@stdlib/math-base-special-gammaln";
import { OptionError } from "./errors.ts";

function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [state, (z ^ (z >>> 16)) >>> 0];
}

function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A seeded random stream. */
export class Rng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;
  #spareNormal: number | null = null;
  /** The seed this stream was made from (for provenance). */
  readonly seed: number;

  /**
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Rng } from "yoto";
   * const a = new Rng(42), b = new Rng(42);
   * assert.equal(a.uniform(), b.uniform());
   * ```
   */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) {
      throw new OptionError(`seed must be a finite number, got ${seed}`, {
        field: "seed",
        fix: "pass an integer seed such as 0",
      });
    }
    this.seed = seed;
    let st = (Math.floor(seed) ^ Math.floor(seed / 4294967296)) | 0;
    const out: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [ns, v] = splitmix32(st);
      st = ns;
      out.push(v | 0);
    }
    [this.#s0, this.#s1, this.#s2, this.#s3] = out;
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /** An independent stream derived from this seed and a label (does not advance this one). */
  fork(label: string | number): Rng {
    return new Rng((hashString(`${this.seed}/${label}`) ^ Math.imul(this.#s0, 0x9e3779b1)) >>> 0);
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9);
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextUint32() >>> 5, b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform in (0, 1): safe under log. */
  uniformOpen(): number {
    let u = 0;
    while (u === 0) u = this.uniform();
    return u;
  }

  /** Uniform integer in [0, n), unbiased. */
  int(n: number): number {
    if (!(n >= 1) || n > 4294967296 || !Number.isInteger(n)) {
      throw new OptionError(`int(n) needs an integer 1 <= n <= 2^32, got ${n}`);
    }
    if (n > 2 ** 31) return Math.floor(this.uniform() * n);
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Normal(mean, sd) by the Marsaglia polar method. */
  normal(mean = 0, sd = 1): number {
    if (this.#spareNormal !== null) {
      const z = this.#spareNormal;
      this.#spareNormal = null;
      return mean + sd * z;
    }
    let u = 0, v = 0, s = 0;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt(-2 * Math.log(s) / s);
    this.#spareNormal = v * f;
    return mean + sd * u * f;
  }

  /** Standard Gumbel: -log(-log(U)). */
  gumbel(): number {
    return -Math.log(-Math.log(this.uniformOpen()));
  }

  /** Gamma(shape, scale) by Marsaglia-Tsang (with the U^(1/shape) boost for shape < 1). */
  gamma(shape: number, scale = 1): number {
    if (!(shape > 0) || !(scale > 0)) {
      throw new OptionError(`gamma needs shape > 0 and scale > 0, got ${shape}, ${scale}`);
    }
    if (shape < 1) return this.gamma(shape + 1, scale) * Math.pow(this.uniformOpen(), 1 / shape);
    const d = shape - 1 / 3, c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x = 0, v = 0;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniformOpen();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
    }
  }

  /** Poisson(lambda): multiplication method below 30, PTRS (Hormann 1993) above. */
  poisson(lambda: number): number {
    if (!(lambda >= 0) || !Number.isFinite(lambda)) {
      throw new OptionError(`poisson needs a finite lambda >= 0, got ${lambda}`);
    }
    if (lambda === 0) return 0;
    if (lambda < 30) {
      const limit = Math.exp(-lambda);
      let k = 0, p = this.uniform();
      while (p > limit) {
        k++;
        p *= this.uniform();
      }
      return k;
    }
    const slam = Math.sqrt(lambda), loglam = Math.log(lambda);
    const b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    const logInvAlpha = Math.log(1.1239 + 1.1328 / (b - 3.4)), vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.uniform() - 0.5, v = this.uniform();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor((2 * a / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (
        Math.log(v) + logInvAlpha - Math.log(a / (us * us) + b) <=
          -lambda + k * loglam - lgamma(k + 1)
      ) return k;
    }
  }

  /**
   * Negative binomial with the given mean and inverse dispersion `theta`
   * (variance = mean + mean^2 / theta), as a gamma-Poisson mixture.
   */
  negativeBinomial(mean: number, theta: number): number {
    if (mean <= 0) return 0;
    return this.poisson(this.gamma(theta, mean / theta));
  }

  /**
   * Binomial(n, p): the number of successes among n trials, by geometric waiting times between
   * successes (exact, no table; expected cost n min(p, 1 - p) + 1 draws, as p > 0.5 counts the
   * failures instead).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Rng } from "./rng.ts";
   * const rng = new Rng(1);
   * assert.equal(rng.binomial(7, 1), 7);
   * assert.equal(rng.binomial(7, 0), 0);
   * const k = rng.binomial(100, 0.3);
   * assert.ok(Number.isInteger(k) && k >= 0 && k <= 100);
   * ```
   */
  binomial(n: number, p: number): number {
    if (!(Number.isInteger(n) && n >= 0) || !(p >= 0 && p <= 1)) {
      throw new OptionError(`binomial needs an integer n >= 0 and p in [0, 1], got ${n}, ${p}`);
    }
    if (p > 0.5) return n - this.binomial(n, 1 - p);
    if (p === 0 || n === 0) return 0;
    const logQ = Math.log1p(-p);
    let k = 0;
    for (let trials = 0;; k++) {
      // trials up to and including the next success: Geometric(p) on {1, 2, ...}
      trials += Math.floor(Math.log(this.uniformOpen()) / logQ) + 1;
      if (trials > n) return k;
    }
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** Shuffle an array in place (Fisher-Yates) and return it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** k distinct integers from [0, n), in random order. */
  sampleWithoutReplacement(n: number, k: number): Int32Array {
    if (!(k >= 0 && k <= n) || !Number.isInteger(k)) {
      throw new OptionError(`cannot draw ${k} distinct items from ${n}`, {
        fix: `ask for at most ${n}`,
      });
    }
    if (k * 4 > n) return this.permutation(n).slice(0, k);
    const chosen = new Set<number>();
    const out = new Int32Array(k);
    for (let i = 0; i < k; i++) {
      let x = this.int(n);
      while (chosen.has(x)) x = this.int(n);
      chosen.add(x);
      out[i] = x;
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
