/**
 * A small TxFM-style masked autoencoder (docs/methods.md §5.1) for label-free cell embeddings: each
 * cell shows K of its G candidate genes as tokens (by default the gene embedding scaled by the
 * log1p value, x_i E_i + b; TxFM's [E_i ; x_i] on request, see {@link MaeTokens}), a learnable
 * CLS token reads them through pre-LN attention blocks, and an MLP decoder on the CLS output
 * predicts all G genes through the rectified tanh. Plain tfjs variables, as the YOTO network.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../data/dataset.ts";
import { Rng } from "../runtime/rng.ts";
import { applyInput, type InputTransform } from "../data/transform.ts";
import { type Dense, dense, glorot, matMulFast, Mlp, variable } from "../nn/layers.ts";
import { rectifiedTanh } from "../nn/losses.ts";

/**
 * How tokens meet: "transformer" = full self-attention over CLS and tokens; "pooling" = only the
 * CLS token attends (tokens pass through the per-token MLPs alone, a DeepSets-style attention
 * pooling). Pooling is ~5x cheaper per step on wasm at K = 200 and is the default.
 */
export type MaeEncoder = "pooling" | "transformer";

/**
 * What a visible gene i with log1p value x_i feeds the encoder. "scaled" (default) = x_i E_i + b
 * (E_i in R^d, b a learned offset shared by all genes): an unexpressed gene gives the same token
 * b whatever it is. "concat" = TxFM's [E_i ; x_i] (E_i in R^(d-1)).
 *
 * Why "scaled": in sparse single-cell data ~94% of the visible genes are 0, so with "concat" the
 * CLS output mostly says WHICH genes were drawn (76% of its variance at initialisation is between
 * two draws of the same cell), the single value coordinate being 1/d of each token. The decoder
 * then learns fastest by ignoring the CLS (see fitMae), and on kang_ifnb1k (2000 candidates)
 * the loss stayed at the best per-gene constant. The offset b keeps the value's size visible
 * through the layer norms (LN(x_i E_i) alone would forget it).
 */
export type MaeTokens = "scaled" | "concat";

/** Shapes of the network and what its input means (JSON). */
export interface MaeConfig {
  /** Candidate genes, in input order (G = genes.length). */
  genes: string[];
  /** L: each cell is scaled to this total before log1p; predictions lie in [0, ln(L+1)). */
  targetSum: number;
  /** K: genes visible per cell (the tokens of one cell). */
  visible: number;
  /** Token width d (with "concat" tokens: d - 1 gene embedding entries, then the value). */
  dim: number;
  tokens: MaeTokens;
  heads: number;
  /** Attention blocks. */
  depth: number;
  /** Hidden width of the per-token MLP, as a multiple of dim. */
  mlpRatio: number;
  encoder: MaeEncoder;
  /** Hidden widths of the decoder MLP (leaky ReLU, slope 0.2). */
  decoderHidden: number[];
  /** Seed of the initial weights and of the gene chunks `embed` uses. */
  seed: number;
}

interface LayerNorm {
  gamma: tf.Variable;
  beta: tf.Variable;
}

interface Block {
  ln1: LayerNorm;
  q: Dense;
  k: Dense;
  v: Dense;
  o: Dense;
  ln2: LayerNorm;
  up: Dense;
  down: Dense;
}

/** One training history line. */
export interface MaeEpoch {
  epoch: number;
  steps: number;
  /** Mean Poisson loss over the epoch's steps. */
  loss: number;
  /** Learning rate at the epoch's last step. */
  lr: number;
  seconds: number;
}

// tfjs variable names are global: every network gets its own prefix.
let netCount = 0;

function layerNormVars(d: number, name: string): LayerNorm {
  return {
    gamma: variable(tf.ones([d]), `${name}/gamma`),
    beta: variable(tf.zeros([d]), `${name}/beta`),
  };
}

function layerNorm(x: tf.Tensor2D, ln: LayerNorm): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 1, true);
  const z = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
  return tf.add(tf.mul(z, ln.gamma), ln.beta) as tf.Tensor2D;
}

function linear(x: tf.Tensor2D, layer: Dense): tf.Tensor2D {
  return tf.add(matMulFast(x, layer.W), layer.b) as tf.Tensor2D;
}

/**
 * Rows `idx` of `table`, with the gradient scattered back by scatterND (it sums repeated rows):
 * tf.gather has no gradient on the wasm backend.
 */
export function gatherRows(table: tf.Tensor2D, idx: Int32Array): tf.Tensor2D {
  const fn = tf.customGrad(
    ((t: tf.Tensor2D) => ({
      value: tf.gather(t, tf.tensor1d(idx, "int32")),
      gradFunc: (dy: tf.Tensor2D) =>
        tf.scatterND(tf.tensor2d(idx, [idx.length, 1], "int32"), dy, t.shape),
    })) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return fn(table) as tf.Tensor2D;
}

/** The network: gene embeddings, CLS token, attention blocks, decoder. */
export class MaeNet {
  readonly embedding: tf.Variable;
  /** b of "scaled" tokens [d] (unused with "concat"). */
  readonly offset: tf.Variable;
  readonly cls: tf.Variable;
  readonly blocks: Block[];
  readonly lnOut: LayerNorm;
  readonly decoder: Mlp;
  readonly prefix = `mae${netCount++}`;

  constructor(readonly config: MaeConfig) {
    const { dim: d, genes, mlpRatio, depth } = config;
    const rng = new Rng(config.seed).fork("init");
    const p = this.prefix;
    const G = genes.length, hidden = mlpRatio * d;
    // Unit-normal gene embeddings (PyTorch's nn.Embedding init): against Glorot-small entries a
    // token's layer norm sees little but the value of an expressed gene, not which gene it is
    // (simulated kNN micro-F1 0.49 vs 0.98 after the same 15 epochs).
    const e = config.tokens === "concat" ? d - 1 : d;
    this.embedding = variable(
      tf.tensor2d(Float32Array.from({ length: G * e }, () => rng.normal()), [G, e]),
      `${p}/embedding`,
    );
    this.offset = variable(
      tf.tensor1d(Float32Array.from({ length: d }, () => rng.normal())),
      `${p}/offset`,
    );
    this.cls = variable(tf.tensor2d(glorot(1, d, rng, "normal"), [1, d]), `${p}/cls`);
    this.blocks = Array.from({ length: depth }, (_, l) => ({
      ln1: layerNormVars(d, `${p}/block${l}/ln1`),
      q: dense(d, d, rng, `${p}/block${l}/q`),
      k: dense(d, d, rng, `${p}/block${l}/k`),
      v: dense(d, d, rng, `${p}/block${l}/v`),
      o: dense(d, d, rng, `${p}/block${l}/o`),
      ln2: layerNormVars(d, `${p}/block${l}/ln2`),
      up: dense(d, hidden, rng, `${p}/block${l}/up`),
      down: dense(hidden, d, rng, `${p}/block${l}/down`),
    }));
    this.lnOut = layerNormVars(d, `${p}/lnOut`);
    // Leaky ReLU: with ReLU, all 256 hidden units died within the first ~150 steps on
    // kang_ifnb1k (the cheapest way to drop the CLS noise), after which no gradient reached the
    // encoder and the loss sat exactly at the per-gene constant.
    this.decoder = new Mlp([d, ...config.decoderHidden, G], rng, "leakyRelu");
  }

  /** Trainable variables, in a fixed order. */
  trainable(): tf.Variable[] {
    const ln = (n: LayerNorm) => [n.gamma, n.beta];
    const lin = (l: Dense) => [l.W, l.b];
    return [
      this.embedding,
      ...(this.config.tokens === "concat" ? [] : [this.offset]),
      this.cls,
      ...this.blocks.flatMap((b) => [
        ...ln(b.ln1),
        ...[b.q, b.k, b.v, b.o].flatMap(lin),
        ...ln(b.ln2),
        ...lin(b.up),
        ...lin(b.down),
      ]),
      ...ln(this.lnOut),
      ...this.decoder.variables,
    ];
  }

  /**
   * The CLS output [n x d] (after the final layer norm) of n cells, cell c showing genes
   * `genes[c*K .. c*K+K)` (candidate indices) with log1p values `values` (same layout).
   */
  encode(genes: Int32Array, values: Float32Array, n: number): tf.Tensor2D {
    const { dim: d, visible: K, encoder } = this.config;
    return tf.tidy(() => {
      const e = gatherRows(this.embedding as tf.Tensor2D, genes);
      const v = tf.tensor2d(values, [n * K, 1]);
      const tokens = this.config.tokens === "concat"
        ? tf.concat([e, v], 1)
        : tf.add(tf.mul(e, v), this.offset);
      const clsRows = tf.tile(tf.reshape(this.cls, [1, 1, d]), [n, 1, 1]);
      const T = K + 1;
      let x = tf.reshape(tf.concat([clsRows, tf.reshape(tokens, [n, K, d])], 1), [n * T, d]);
      for (const block of this.blocks) {
        const a = this.#attention(layerNorm(x as tf.Tensor2D, block.ln1), n, T, block);
        if (encoder === "transformer") x = tf.add(x, a);
        else {
          // Only the CLS row takes the attention output; tokens keep their own state.
          const cube = tf.reshape(x, [n, T, d]);
          const cls = tf.add(tf.slice(cube, [0, 0, 0], [n, 1, d]), tf.reshape(a, [n, 1, d]));
          x = tf.reshape(tf.concat([cls, tf.slice(cube, [0, 1, 0], [n, K, d])], 1), [n * T, d]);
        }
        const h = tf.relu(linear(layerNorm(x as tf.Tensor2D, block.ln2), block.up));
        x = tf.add(x, linear(h, block.down));
      }
      const cls = tf.reshape(tf.slice(tf.reshape(x, [n, T, d]), [0, 0, 0], [n, 1, d]), [n, d]);
      return layerNorm(cls as tf.Tensor2D, this.lnOut);
    });
  }

  /** Multi-head attention of the rows of `x` [n*T x d]: every row queries (transformer) or CLS. */
  #attention(x: tf.Tensor2D, n: number, T: number, block: Block): tf.Tensor2D {
    const { dim: d, heads: H, encoder } = this.config;
    const dh = d / H;
    const Tq = encoder === "transformer" ? T : 1;
    const split = (m: tf.Tensor2D, t: number) =>
      tf.reshape(tf.transpose(tf.reshape(m, [n, t, H, dh]), [0, 2, 1, 3]), [n * H, t, dh]);
    const queries = Tq === T
      ? x
      : tf.reshape(tf.slice(tf.reshape(x, [n, T, d]), [0, 0, 0], [n, 1, d]), [n, d]) as tf.Tensor2D;
    const q = split(linear(queries, block.q), Tq);
    const k = tf.transpose(split(linear(x, block.k), T), [0, 2, 1]);
    const v = split(linear(x, block.v), T);
    const weights = tf.softmax(tf.mul(tf.matMul(q, k), 1 / Math.sqrt(dh)));
    const out = tf.transpose(tf.reshape(tf.matMul(weights, v), [n, H, Tq, dh]), [0, 2, 1, 3]);
    return linear(tf.reshape(out, [n * Tq, d]), block.o);
  }

  /** Predicted log1p values [n x G] from CLS outputs [n x d], through the rectified tanh. */
  decode(h: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => rectifiedTanh(this.decoder.forward(h), this.config.targetSum));
  }

  dispose(): void {
    for (const v of new Set([...this.trainable(), this.offset])) v.dispose();
  }
}

/**
 * log1p(counts scaled to `targetSum`) of the cells of `ds` over `genes` [nCells x genes],
 * library totals over every gene of `ds`; genes are matched by name (MissingFieldError naming
 * absent ones). The MAE's input, and the target scale of every Poisson head.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Dataset } from "yoto";
 * import { log1pInput } from "./model.ts";
 * const ds = Dataset.fromDense(Float32Array.of(1, 3, 0, 2), 2, 2, ["A", "B"]);
 * const x = log1pInput(ds, ["B"], 4);
 * assert.equal(x[0], Math.fround(Math.log1p(3)));
 * assert.equal(x[1], Math.fround(Math.log1p(4)));
 * ```
 */
export function log1pInput(ds: Dataset, genes: string[], targetSum: number): Float32Array {
  const identity: InputTransform = {
    genes,
    normalize: "transcriptome",
    targetSum,
    log1p: true,
    means: new Array(genes.length).fill(0),
    sds: new Array(genes.length).fill(1),
  };
  return applyInput(ds, identity);
}

/** Token index/value arrays of `n` cells for a forward pass. */
export interface TokenBatch {
  genes: Int32Array;
  values: Float32Array;
}

/**
 * Tokens of cells `rows` of the log1p matrix `x` [* x G], cell r showing the K genes
 * `pick(r)` (candidate indices).
 */
export function tokensOf(
  x: Float32Array,
  G: number,
  rows: ArrayLike<number>,
  K: number,
  pick: (r: number) => ArrayLike<number>,
): TokenBatch {
  const genes = new Int32Array(rows.length * K), values = new Float32Array(rows.length * K);
  for (let r = 0; r < rows.length; r++) {
    const chosen = pick(r), base = rows[r] * G;
    for (let t = 0; t < K; t++) {
      genes[r * K + t] = chosen[t];
      values[r * K + t] = x[base + chosen[t]];
    }
  }
  return { genes, values };
}

/** Tokens processed per forward pass at inference (bounds memory). */
const TOKENS_PER_PASS = 1 << 16;

/** A trained masked autoencoder. */
export class MaeModel {
  /**
   * @param net the trained network (owned: `dispose` frees it)
   * @param history one line per training epoch
   * @param trainSeconds wall-clock seconds of `fitMae`
   * @param constantLoss the training cells' loss under the best constant per gene, the level an
   *   autoencoder that learned nothing about cells stays at
   */
  constructor(
    readonly net: MaeNet,
    readonly history: MaeEpoch[],
    readonly trainSeconds: number,
    readonly constantLoss: number,
  ) {}

  get config(): MaeConfig {
    return this.net.config;
  }

  /**
   * Cell embeddings [nCells x dim]: every candidate is shown once, in ceil(G / K) chunks of K
   * genes (a seeded permutation, the last chunk topped up from the start), as in training; the
   * CLS outputs of a cell's chunks are averaged. Deterministic.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { fitMae, simulate } from "yoto";
   * const { dataset } = simulate({ nCells: 60, nGenes: 80, seed: 1 });
   * const model = await fitMae(dataset, { candidates: 40, dim: 8, heads: 2, depth: 1, epochs: 1, quiet: true });
   * const z = model.embed(dataset);
   * assert.equal(z.length, 60 * 8);
   * assert.ok(z.every(Number.isFinite));
   * model.dispose();
   * ```
   */
  embed(ds: Dataset): Float32Array {
    const { genes, visible: K, dim: d, seed } = this.config;
    const G = genes.length,
      x = log1pInput(ds, this.config.genes, this.config.targetSum),
      n = ds.nCells;
    const order = new Rng(seed).fork("embed").permutation(G);
    const nChunks = Math.ceil(G / K);
    const chunks = Array.from(
      { length: nChunks },
      (_, c) => Int32Array.from({ length: K }, (_, t) => order[(c * K + t) % G]),
    );
    const out = new Float32Array(n * d);
    const perPass = Math.max(1, Math.floor(TOKENS_PER_PASS / (nChunks * K)));
    for (let start = 0; start < n; start += perPass) {
      const m = Math.min(n, start + perPass) - start;
      // Row r of the pass is cell start + floor(r / nChunks) showing chunk r % nChunks.
      const rows = Int32Array.from(
        { length: m * nChunks },
        (_, r) => start + Math.floor(r / nChunks),
      );
      const { genes: idx, values } = tokensOf(x, G, rows, K, (r) => chunks[r % nChunks]);
      const h = tf.tidy(() =>
        tf.mean(tf.reshape(this.net.encode(idx, values, m * nChunks), [m, nChunks, d]), 1)
      );
      out.set(h.dataSync(), start * d);
      h.dispose();
    }
    return out;
  }

  /**
   * Masked reconstruction as in training: each cell shows K random candidates (seeded) and all G
   * are predicted. Returns the log1p input `x`, the predictions `xhat` (both [nCells x G]) and
   * which entries were visible (1) or masked (0).
   */
  reconstruct(
    ds: Dataset,
    seed = 0,
  ): { x: Float32Array; xhat: Float32Array; visible: Uint8Array } {
    const { genes, visible: K } = this.config;
    const G = genes.length,
      x = log1pInput(ds, this.config.genes, this.config.targetSum),
      n = ds.nCells;
    const rng = new Rng(seed);
    const picks = Array.from({ length: n }, () => rng.sampleWithoutReplacement(G, K));
    const visible = new Uint8Array(n * G);
    picks.forEach((p, i) => p.forEach((j) => (visible[i * G + j] = 1)));
    const xhat = new Float32Array(n * G);
    const perPass = Math.max(1, Math.floor(TOKENS_PER_PASS / K));
    for (let start = 0; start < n; start += perPass) {
      const end = Math.min(n, start + perPass);
      const rows = Int32Array.from({ length: end - start }, (_, r) => start + r);
      const { genes: idx, values } = tokensOf(x, G, rows, K, (r) => picks[start + r]);
      const pred = tf.tidy(() => this.net.decode(this.net.encode(idx, values, end - start)));
      xhat.set(pred.dataSync(), start * G);
      pred.dispose();
    }
    return { x, xhat, visible };
  }

  /** Free the network's tensors. */
  dispose(): void {
    this.net.dispose();
  }
}
