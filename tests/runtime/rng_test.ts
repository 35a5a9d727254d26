import { assertClose, assertEquals, assertThrows } from "../_assert.ts";
import lgamma from "@stdlib/math-base-special-gammaln";
import { Rng } from "../../lib/runtime/rng.ts";
import { OptionError } from "../../lib/runtime/errors.ts";

function moments(draw: () => number, n: number): { mean: number; variance: number } {
  let s = 0, s2 = 0;
  for (let i = 0; i < n; i++) {
    const x = draw();
    s += x;
    s2 += x * x;
  }
  const mean = s / n;
  return { mean, variance: (s2 - n * mean * mean) / (n - 1) };
}

Deno.test("same seed gives the same stream, another seed another one", () => {
  const a = new Rng(7), b = new Rng(7), c = new Rng(8);
  const xa = Array.from({ length: 20 }, () => a.uniform());
  assertEquals(xa, Array.from({ length: 20 }, () => b.uniform()));
  assertEquals(xa.some((x, i) => x !== Array.from({ length: 20 }, () => c.uniform())[i]), true);
});

Deno.test("fork gives reproducible streams independent of the parent's position", () => {
  const r = new Rng(3);
  const f1 = r.fork("split").uniform();
  assertEquals(new Rng(3).fork("split").uniform(), f1);
  assertEquals(new Rng(3).fork("other").uniform() !== f1, true);
});

Deno.test("lgamma matches known values", () => {
  assertClose(lgamma(1), 0, 1e-12);
  assertClose(lgamma(5), Math.log(24), 1e-12);
  assertClose(lgamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-12);
  assertClose(lgamma(101), 363.73937555556347, 1e-9);
});

Deno.test("uniform, normal and Gumbel have their known moments", () => {
  const r = new Rng(1);
  const u = moments(() => r.uniform(), 200_000);
  assertClose(u.mean, 0.5, 0.005);
  assertClose(u.variance, 1 / 12, 0.002);
  const z = moments(() => r.normal(2, 3), 200_000);
  assertClose(z.mean, 2, 0.03);
  assertClose(z.variance, 9, 0.15);
  const g = moments(() => r.gumbel(), 200_000);
  assertClose(g.mean, 0.5772156649, 0.01); // Euler-Mascheroni
  assertClose(g.variance, Math.PI ** 2 / 6, 0.03);
});

Deno.test("Poisson matches mean and variance below and above the PTRS switch", () => {
  const r = new Rng(2);
  for (const lambda of [0.3, 4, 29, 31, 250]) {
    const m = moments(() => r.poisson(lambda), 100_000);
    assertClose(m.mean, lambda, 0.03 * Math.sqrt(lambda) + 0.01, `lambda ${lambda} mean`);
    assertClose(m.variance / lambda, 1, 0.04, `lambda ${lambda} variance`);
  }
  // P(X = 0) for lambda = 4 equals exp(-4)
  let zeros = 0;
  for (let i = 0; i < 100_000; i++) if (r.poisson(4) === 0) zeros++;
  assertClose(zeros / 100_000, Math.exp(-4), 0.003);
});

Deno.test("gamma and negative binomial match their moments", () => {
  const r = new Rng(3);
  for (const [shape, scale] of [[0.4, 2], [3, 0.5]]) {
    const m = moments(() => r.gamma(shape, scale), 100_000);
    assertClose(m.mean, shape * scale, 0.02 * shape * scale + 0.01);
    assertClose(m.variance / (shape * scale * scale), 1, 0.06);
  }
  const mean = 5, theta = 2;
  const nb = moments(() => r.negativeBinomial(mean, theta), 100_000);
  assertClose(nb.mean, mean, 0.08);
  assertClose(nb.variance / (mean + mean * mean / theta), 1, 0.05);
});

Deno.test("int is unbiased and sampling without replacement is distinct", () => {
  const r = new Rng(4);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60_000; i++) counts[r.int(6)]++;
  for (const c of counts) assertClose(c, 10_000, 400);
  for (const [n, k] of [[10, 10], [1000, 5], [50, 30]]) {
    const s = r.sampleWithoutReplacement(n, k);
    assertEquals(new Set(s).size, k);
    assertEquals(Array.from(s).every((x) => x >= 0 && x < n), true);
  }
  const p = Array.from(r.permutation(100)).sort((a, b) => a - b);
  assertEquals(p, Array.from({ length: 100 }, (_, i) => i));
});

Deno.test("bad arguments are OptionErrors", () => {
  const r = new Rng(0);
  assertThrows(() => new Rng(NaN), OptionError);
  assertThrows(() => r.int(0), OptionError);
  assertThrows(() => r.poisson(-1), OptionError);
  assertThrows(() => r.gamma(0), OptionError);
  assertThrows(() => r.sampleWithoutReplacement(3, 4), OptionError);
});
