/**
 * h5py booleans in files written with h5wasm (private to lib/data). h5py stores a bool as an HDF5
 * enum {FALSE = 0, TRUE = 1} over int8, and anndata 0.8 hands the categorical `ordered`
 * attribute to pandas as h5py reads it, so it must be that enum; h5wasm cannot write enum types.
 * {@link BoolWriter} writes each boolean with a placeholder type of the same encoded length (a
 * compound of one int8 member named {@link PLACEHOLDER}, which holds the same 0/1 bytes) and,
 * once the file is closed, rewrites those placeholder types in place as the enum and updates
 * the checksums of the object headers it touched. Object headers are located through the
 * object references h5wasm gives; only version-2 object headers ("OHDR", HDF5 >= 1.8 layout)
 * are patched, and a placeholder left unpatched is an error, never a silent wrong type.
 * @module
 */
import type { H5Dataset, H5Group } from "./_h5ad_hdf5.ts";

/** The placeholder's member name: 16 characters, so the compound encodes to the enum's 38 bytes. */
const PLACEHOLDER = "h5py bool (yoto)";
const PLACEHOLDER_DTYPE = [[PLACEHOLDER, "<b"]];

const te = new TextEncoder();

/** The datatype h5wasm writes for the placeholder: compound, version 3, one int8 member. */
// deno-fmt-ignore
const PLACEHOLDER_BYTES = Uint8Array.from([
  0x36, 1, 0, 0, 1, 0, 0, 0, // compound v3, 1 member, size 1
  ...te.encode(PLACEHOLDER), 0, // member name, NUL-terminated
  0, // member offset (1 byte for a 1-byte compound)
  0x10, 0x08, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0, // int8: signed, little-endian, 8 bits
]);

/** h5py's boolean: enum version 1 over int8, members FALSE = 0 and TRUE = 1 (38 bytes). */
// deno-fmt-ignore
const ENUM_BYTES = Uint8Array.from([
  0x18, 2, 0, 0, 1, 0, 0, 0, // enum v1, 2 members, size 1
  0x10, 0x08, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0, // base type int8
  ...te.encode("FALSE"), 0, 0, 0, // names NUL-padded to 8 bytes
  ...te.encode("TRUE"), 0, 0, 0, 0,
  0, 1, // values
]);

/**
 * Jenkins' lookup3 hash (hashlittle), the checksum of HDF5's version-2 metadata.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // the published test vector of lookup3: hashlittle("Four score and seven years ago", 30, 0)
 * assert.equal(lookup3(new TextEncoder().encode("Four score and seven years ago")), 0x17770551);
 * ```
 */
export function lookup3(bytes: Uint8Array): number {
  let a = (0xdeadbeef + bytes.length) | 0, b = a, c = a;
  const rot = (x: number, k: number) => (x << k) | (x >>> (32 - k));
  const word = (at: number) =>
    (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8) | ((bytes[at + 2] ?? 0) << 16) |
    ((bytes[at + 3] ?? 0) << 24);
  let at = 0, length = bytes.length;
  for (; length > 12; length -= 12, at += 12) {
    a = (a + word(at)) | 0;
    b = (b + word(at + 4)) | 0;
    c = (c + word(at + 8)) | 0;
    a = (a - c) ^ rot(c, 4), c = (c + b) | 0;
    b = (b - a) ^ rot(a, 6), a = (a + c) | 0;
    c = (c - b) ^ rot(b, 8), b = (b + a) | 0;
    a = (a - c) ^ rot(c, 16), c = (c + b) | 0;
    b = (b - a) ^ rot(a, 19), a = (a + c) | 0;
    c = (c - b) ^ rot(b, 4), b = (b + a) | 0;
  }
  if (length === 0) return c >>> 0;
  // the last 1-12 bytes, zero-padded (bytes past the end read as 0)
  a = (a + word(at)) | 0;
  b = (b + (length > 4 ? word(at + 4) : 0)) | 0;
  c = (c + (length > 8 ? word(at + 8) : 0)) | 0;
  c = (c ^ b) - rot(b, 14), a = (a ^ c) - rot(c, 11), b = (b ^ a) - rot(a, 25);
  c = (c ^ b) - rot(b, 16), a = (a ^ c) - rot(c, 4), b = (b ^ a) - rot(a, 14);
  c = (c ^ b) - rot(b, 24);
  return c >>> 0;
}

/** The object header address an h5wasm object reference holds (little-endian haddr_t). */
function referencedAddress(obj: H5Group | H5Dataset): number {
  const bytes = obj.create_reference().ref_data;
  let address = 0;
  for (let i = bytes.length - 1; i >= 0; i--) address = address * 256 + bytes[i];
  return address;
}

function fail(path: string, problem: string): never {
  throw new Error(`${path}: cannot write h5py booleans (${problem}); this is a bug in yoto`);
}

/** Reads and writes byte ranges of the closed HDF5 file. */
class Patcher {
  readonly #file: Deno.FsFile;
  readonly #path: string;
  #offsetSize = 8;
  #lengthSize = 8;
  #base = 0;
  patched = 0;

  constructor(file: Deno.FsFile, path: string) {
    this.#file = file;
    this.#path = path;
  }

  async read(at: number, n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    await this.#file.seek(at, Deno.SeekMode.Start);
    for (let got = 0; got < n;) {
      const k = await this.#file.read(out.subarray(got));
      if (k === null) fail(this.#path, `the file ends at ${at + got}, not ${at + n}`);
      got += k;
    }
    return out;
  }

  async write(at: number, bytes: Uint8Array): Promise<void> {
    await this.#file.seek(at, Deno.SeekMode.Start);
    for (let done = 0; done < bytes.length;) {
      done += await this.#file.write(bytes.subarray(done));
    }
  }

  #number(bytes: Uint8Array, at: number, size: number): number {
    let v = 0;
    for (let i = size - 1; i >= 0; i--) v = v * 256 + bytes[at + i];
    return v;
  }

  async superblock(): Promise<void> {
    const sb = await this.read(0, 20);
    if (sb[8] !== 2 && sb[8] !== 3) fail(this.#path, `superblock version ${sb[8]}`);
    [this.#offsetSize, this.#lengthSize] = [sb[9], sb[10]];
    this.#base = this.#number(sb, 12, this.#offsetSize);
  }

  /** Patch the object header at `address` and its continuation chunks. */
  async objectHeader(address: number): Promise<void> {
    const at = this.#base + address;
    const head = await this.read(at, 34);
    if (te.encode("OHDR").some((c, i) => head[i] !== c) || head[4] !== 2) {
      fail(this.#path, `no version-2 object header at ${address}`);
    }
    const flags = head[5];
    let p = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
    const sizeBytes = 1 << (flags & 3);
    const size = this.#number(head, p, sizeBytes);
    p += sizeBytes;
    await this.chunk(at, p, p + size, flags);
  }

  /**
   * The chunk [start, end + 4) of the file: messages from `first` to `end`, then its checksum.
   * Placeholder types in datatype and attribute messages become the enum; continuations are
   * followed.
   */
  async chunk(start: number, first: number, end: number, flags: number): Promise<void> {
    const bytes = await this.read(start, end + 4);
    const stored = this.#number(bytes, end, 4);
    if (lookup3(bytes.subarray(0, end)) !== stored) fail(this.#path, `bad checksum at ${start}`);
    const next: [number, number][] = [];
    let changed = false;
    const headerSize = 4 + (flags & 0x04 ? 2 : 0);
    for (let p = first; p + headerSize <= end;) {
      const type = bytes[p], size = bytes[p + 1] | (bytes[p + 2] << 8);
      const body = p + headerSize;
      if (type === 0x10) {
        next.push([
          this.#number(bytes, body, this.#offsetSize),
          this.#number(bytes, body + this.#offsetSize, this.#lengthSize),
        ]);
      } else if (type === 0x03 || type === 0x0c) {
        for (let q = body; q + PLACEHOLDER_BYTES.length <= body + size; q++) {
          if (PLACEHOLDER_BYTES.every((v, i) => bytes[q + i] === v)) {
            bytes.set(ENUM_BYTES, q);
            this.patched++;
            changed = true;
          }
        }
      }
      p = body + size;
    }
    if (changed) {
      const sum = lookup3(bytes.subarray(0, end));
      bytes.set([sum & 0xff, (sum >>> 8) & 0xff, (sum >>> 16) & 0xff, sum >>> 24], end);
      await this.write(start, bytes);
    }
    for (const [address, length] of next) {
      const at = this.#base + address;
      const sig = await this.read(at, 4);
      if (te.encode("OCHK").some((c, i) => sig[i] !== c)) {
        fail(this.#path, `no continuation chunk at ${address}`);
      }
      await this.chunk(at, 4, length - 4, flags);
    }
  }
}

/**
 * Booleans written with h5wasm as h5py writes them: call {@link attribute} / {@link dataset}
 * while the file is open, and {@link finish} once h5wasm has closed it.
 */
export class BoolWriter {
  readonly #objects = new Set<number>();
  #written = 0;

  /** A scalar boolean attribute (anndata's categorical `ordered`). */
  attribute(obj: H5Group | H5Dataset, name: string, value: boolean): void {
    obj.create_attribute(
      name,
      new Map([[PLACEHOLDER, Int8Array.of(value ? 1 : 0)]]),
      [],
      PLACEHOLDER_DTYPE as never,
    );
    this.#objects.add(referencedAddress(obj));
    this.#written++;
  }

  /** A boolean dataset of `shape` holding 0/1 bytes, gzip-compressed when asked. */
  dataset(
    group: H5Group,
    name: string,
    values: Int8Array,
    shape: number[],
    compress: boolean,
  ): H5Dataset {
    const chunked = compress && shape.length > 0 && shape.every((d) => d > 0);
    const ds = group.create_dataset({
      name,
      data: new Map([[PLACEHOLDER, values]]),
      shape,
      dtype: PLACEHOLDER_DTYPE as never,
      ...(chunked ? { chunks: shape, compression: "gzip" as const } : {}),
    });
    this.#objects.add(referencedAddress(ds));
    this.#written++;
    return ds;
  }

  /** Rewrite the placeholders of the closed file at `path` as h5py's boolean type. */
  async finish(path: string): Promise<void> {
    if (!this.#written) return;
    using file = await Deno.open(path, { read: true, write: true });
    const patcher = new Patcher(file, path);
    await patcher.superblock();
    for (const address of this.#objects) await patcher.objectHeader(address);
    if (patcher.patched !== this.#written) {
      fail(path, `${patcher.patched} of ${this.#written} placeholder types found`);
    }
  }
}
