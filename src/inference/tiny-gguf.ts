import { writeFileSync } from 'node:fs';

/**
 * Writes a tiny random-weight model in the GGUF v3 format (llama architecture, a SentencePiece
 * vocabulary of the printable ASCII characters plus byte fallback), a few hundred kilobytes.
 * It speaks nonsense, but llama.cpp loads it and a grammar forces its nonsense into valid JSON:
 * the tests and the bench use it to run the real node-llama-cpp without downloading weights.
 *
 * Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md — header, key/value
 * metadata, tensor infos, then tensor data aligned to `general.alignment` (32).
 */

const ALIGN = 32;
const enum T {
  U32 = 4,
  I32 = 5,
  F32 = 6,
  STRING = 8,
  ARRAY = 9,
}
type Meta =
  | { type: 'u32'; v: number }
  | { type: 'f32'; v: number }
  | { type: 'str'; v: string }
  | { type: 'strs'; v: string[] }
  | { type: 'f32s'; v: number[] }
  | { type: 'i32s'; v: number[] };

class Out {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    this.push(b);
  }
  i32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(n);
    this.push(b);
  }
  u64(n: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    this.push(b);
  }
  f32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(n);
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  pad(): void {
    const n = (ALIGN - (this.length % ALIGN)) % ALIGN;
    if (n) this.push(Buffer.alloc(n));
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function writeMeta(out: Out, key: string, m: Meta): void {
  out.str(key);
  switch (m.type) {
    case 'u32':
      out.u32(T.U32);
      out.u32(m.v);
      break;
    case 'f32':
      out.u32(T.F32);
      out.f32(m.v);
      break;
    case 'str':
      out.u32(T.STRING);
      out.str(m.v);
      break;
    case 'strs':
      out.u32(T.ARRAY);
      out.u32(T.STRING);
      out.u64(m.v.length);
      m.v.forEach((s) => out.str(s));
      break;
    case 'f32s':
      out.u32(T.ARRAY);
      out.u32(T.F32);
      out.u64(m.v.length);
      m.v.forEach((x) => out.f32(x));
      break;
    case 'i32s':
      out.u32(T.ARRAY);
      out.u32(T.I32);
      out.u64(m.v.length);
      m.v.forEach((x) => out.i32(x));
      break;
  }
}

/** SentencePiece token types, as llama.cpp reads `tokenizer.ggml.token_type`. */
const NORMAL = 1,
  UNKNOWN = 2,
  CONTROL = 3,
  BYTE = 6;

function vocabulary(): { tokens: string[]; types: number[]; scores: number[] } {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [UNKNOWN, CONTROL, CONTROL];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(BYTE);
  }
  tokens.push('\u2581');
  types.push(NORMAL); // SentencePiece's space
  for (let c = 33; c < 127; c++) {
    tokens.push(String.fromCharCode(c));
    types.push(NORMAL);
  }
  for (const w of ['\u2581the', '\u2581door', 'true', 'false', 'null']) {
    tokens.push(w);
    types.push(NORMAL);
  }
  return { tokens, types, scores: tokens.map((_t, i) => (types[i] === NORMAL ? -i / 10 : 0)) };
}

export interface TinyModelOptions {
  /** Seed for the weights, so two runs write the same file. */
  seed?: number;
  embedding?: number;
  layers?: number;
  contextLength?: number;
}

/** Writes the tiny model to `path` and returns its size in bytes. */
export function writeTinyGguf(path: string, options: TinyModelOptions = {}): number {
  const nEmbd = options.embedding ?? 64,
    nLayer = options.layers ?? 2,
    nHead = 4,
    nFf = nEmbd * 2;
  const vocab = vocabulary();
  const nVocab = vocab.tokens.length;
  let seed = (options.seed ?? 1) >>> 0;
  const random = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };

  const tensors: { name: string; dims: number[]; fill: 'one' | 'rand' }[] = [
    { name: 'token_embd.weight', dims: [nEmbd, nVocab], fill: 'rand' },
    { name: 'output_norm.weight', dims: [nEmbd], fill: 'one' },
    { name: 'output.weight', dims: [nEmbd, nVocab], fill: 'rand' },
  ];
  for (let i = 0; i < nLayer; i++) {
    const b = `blk.${i}.`;
    tensors.push(
      { name: `${b}attn_norm.weight`, dims: [nEmbd], fill: 'one' },
      { name: `${b}attn_q.weight`, dims: [nEmbd, nEmbd], fill: 'rand' },
      { name: `${b}attn_k.weight`, dims: [nEmbd, nEmbd], fill: 'rand' },
      { name: `${b}attn_v.weight`, dims: [nEmbd, nEmbd], fill: 'rand' },
      { name: `${b}attn_output.weight`, dims: [nEmbd, nEmbd], fill: 'rand' },
      { name: `${b}ffn_norm.weight`, dims: [nEmbd], fill: 'one' },
      { name: `${b}ffn_gate.weight`, dims: [nEmbd, nFf], fill: 'rand' },
      { name: `${b}ffn_down.weight`, dims: [nFf, nEmbd], fill: 'rand' },
      { name: `${b}ffn_up.weight`, dims: [nEmbd, nFf], fill: 'rand' },
    );
  }

  const meta: [string, Meta][] = [
    ['general.architecture', { type: 'str', v: 'llama' }],
    ['general.name', { type: 'str', v: 'hearth-tiny-random' }],
    ['general.alignment', { type: 'u32', v: ALIGN }],
    ['llama.context_length', { type: 'u32', v: options.contextLength ?? 2048 }],
    ['llama.embedding_length', { type: 'u32', v: nEmbd }],
    ['llama.block_count', { type: 'u32', v: nLayer }],
    ['llama.feed_forward_length', { type: 'u32', v: nFf }],
    ['llama.attention.head_count', { type: 'u32', v: nHead }],
    ['llama.attention.head_count_kv', { type: 'u32', v: nHead }],
    ['llama.rope.dimension_count', { type: 'u32', v: nEmbd / nHead }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', v: 1e-5 }],
    ['llama.vocab_size', { type: 'u32', v: nVocab }],
    ['tokenizer.ggml.model', { type: 'str', v: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'strs', v: vocab.tokens }],
    ['tokenizer.ggml.scores', { type: 'f32s', v: vocab.scores }],
    ['tokenizer.ggml.token_type', { type: 'i32s', v: vocab.types }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', v: 1 }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', v: 2 }],
    ['tokenizer.ggml.unknown_token_id', { type: 'u32', v: 0 }],
  ];

  const out = new Out();
  out.push(Buffer.from('GGUF', 'ascii'));
  out.u32(3);
  out.u64(tensors.length);
  out.u64(meta.length);
  for (const [k, m] of meta) writeMeta(out, k, m);
  let offset = 0;
  const sizes = tensors.map((t) => t.dims.reduce((a, b) => a * b, 1) * 4);
  tensors.forEach((t, i) => {
    out.str(t.name);
    out.u32(t.dims.length);
    t.dims.forEach((d) => out.u64(d));
    out.u32(0); // GGML_TYPE_F32
    out.u64(offset);
    offset += Math.ceil(sizes[i]! / ALIGN) * ALIGN;
  });
  out.pad();
  tensors.forEach((t, i) => {
    const data = Buffer.alloc(sizes[i]!);
    const scale = 1 / Math.sqrt(t.dims[0]!);
    for (let j = 0; j < data.length / 4; j++) data.writeFloatLE(t.fill === 'one' ? 1 : random() * 2 * scale, j * 4);
    out.push(data);
    out.pad();
  });
  const file = out.concat();
  writeFileSync(path, file);
  return file.length;
}
