// The spectest process-protocol driver for V8, through Node.js's
// WebAssembly JS API (see spectest/PROTOCOL.md; `--engine node` runs it).
//
// The JS API cannot carry every Wasm value exactly: f32 and f64 cross it as
// JS numbers (NaN payloads are not kept), v128 cannot cross at all, and GC
// references are opaque. So every call goes through a *trampoline*: a tiny
// module that imports the export with its exact type and re-exports a
// function whose parameters and results are only i32, i64 (BigInt), funcref
// and externref: f32 as its i32 bits, f64 as its i64 bits, v128 as two i64,
// a reference as a small kind code plus the host value (the same scheme as
// spectest/adapters/wasmbin.py). What the trampoline cannot express is
// answered `unsupported` (a skipped command), never guessed.

import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

const PROTOCOL = 1;

// ---- reading just enough of a module -------------------------------------

const ABSTRACT = {
  0x70: ["func", "func"], 0x73: ["nofunc", "func"], 0x6f: ["extern", "extern"],
  0x72: ["noextern", "extern"], 0x6e: ["any", "any"], 0x6d: ["eq", "any"],
  0x6c: ["i31", "any"], 0x6b: ["struct", "any"], 0x6a: ["array", "any"],
  0x71: ["none", "any"], 0x69: ["exn", "exn"], 0x74: ["noexn", "exn"],
};
const NUM = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128" };

class Unsupported extends Error {}

class Reader {
  constructor(bytes, pos = 0, end = bytes.length) { this.b = bytes; this.pos = pos; this.end = end; }
  byte() { if (this.pos >= this.end) throw new Unsupported("unexpected end"); return this.b[this.pos++]; }
  peek() { if (this.pos >= this.end) throw new Unsupported("unexpected end"); return this.b[this.pos]; }
  u() { let r = 0n, s = 0n; for (;;) { const x = this.byte(); r |= BigInt(x & 0x7f) << s; s += 7n; if (!(x & 0x80)) return Number(r); } }
  s() { let r = 0n, s = 0n; for (;;) { const x = this.byte(); r |= BigInt(x & 0x7f) << s; s += 7n;
    if (!(x & 0x80)) { if (x & 0x40) r -= 1n << s; return Number(r); } } }
  skip(n) { this.pos += n; if (this.pos > this.end) throw new Unsupported("unexpected end"); }
  heap() {
    const start = this.pos, x = this.peek();
    if (x in ABSTRACT) { this.pos++; return [ABSTRACT[x][0], this.b.slice(start, this.pos)]; }
    const v = this.s(); if (v < 0) throw new Unsupported("unknown heap type");
    return [v, this.b.slice(start, this.pos)];
  }
  valtype() {
    const start = this.pos, x = this.byte();
    if (x in NUM) return { kind: NUM[x], raw: this.b.slice(start, this.pos) };
    if (x in ABSTRACT) return { kind: "ref", raw: this.b.slice(start, this.pos), nullable: true, heap: ABSTRACT[x][0], heapRaw: Uint8Array.of(x) };
    if (x === 0x63 || x === 0x64) {
      if (this.peek() === 0x62) throw new Unsupported("exact reference types");
      const [heap, heapRaw] = this.heap();
      return { kind: "ref", raw: this.b.slice(start, this.pos), nullable: x === 0x63, heap, heapRaw };
    }
    throw new Unsupported("unknown value type 0x" + x.toString(16));
  }
  limits() { const f = this.byte(); this.u(); if (f & 1) this.u(); if (f & 8) this.u(); }
}

function readInfo(bytes) {
  const info = { groupCount: 0, groupsRaw: new Uint8Array(), kinds: [], funcTypes: new Map(),
    funcTypeIndex: [], globals: [], exports: new Map() };
  const r = new Reader(bytes, 8);
  while (r.pos < r.end) {
    const id = r.byte(), size = r.u(), b = new Reader(bytes, r.pos, r.pos + size);
    if (id === 1) {
      info.groupCount = b.u(); const start = b.pos;
      for (let i = 0; i < info.groupCount; i++) {
        if (b.peek() === 0x4e) { b.pos++; const n = b.u(); for (let j = 0; j < n; j++) subtype(b, info); }
        else subtype(b, info);
      }
      info.groupsRaw = bytes.slice(start, b.pos);
    } else if (id === 2) {
      for (let n = b.u(); n > 0; n--) {
        b.skip(b.u()); b.skip(b.u()); const k = b.byte();
        if (k === 0) info.funcTypeIndex.push(b.u());
        else if (k === 1) { b.valtype(); b.limits(); }
        else if (k === 2) b.limits();
        else if (k === 3) { const t = b.valtype(); info.globals.push([t, b.byte() === 1]); }
        else if (k === 4) { b.byte(); b.u(); }
        else throw new Unsupported("import kind");
      }
    } else if (id === 3) {
      for (let n = b.u(); n > 0; n--) info.funcTypeIndex.push(b.u());
    } else if (id === 6) {
      for (let n = b.u(); n > 0; n--) {
        const t = b.valtype(); const m = b.byte() === 1; info.globals.push([t, m]);
        skipConst(b);
      }
    } else if (id === 7) {
      for (let n = b.u(); n > 0; n--) {
        const len = b.u(); const name = new TextDecoder().decode(bytes.slice(b.pos, b.pos + len)); b.skip(len);
        const kind = b.byte(); info.exports.set(name, [kind, b.u()]);
      }
    }
    r.pos += size;
  }
  return info;
}

function subtype(r, info) {
  let x = r.peek();
  if (x === 0x50 || x === 0x4f) { r.pos++; for (let n = r.u(); n > 0; n--) r.u(); }
  while (r.peek() === 0x4d || r.peek() === 0x4c) { r.pos++; r.u(); }
  const form = r.byte(), index = info.kinds.length;
  if (form === 0x60) {
    const params = []; for (let n = r.u(); n > 0; n--) params.push(r.valtype());
    const results = []; for (let n = r.u(); n > 0; n--) results.push(r.valtype());
    info.kinds.push("func"); info.funcTypes.set(index, { params, results });
  } else if (form === 0x5f) { for (let n = r.u(); n > 0; n--) storage(r); info.kinds.push("struct"); }
  else if (form === 0x5e) { storage(r); info.kinds.push("array"); }
  else if (form === 0x5d) { r.s(); info.kinds.push("cont"); }
  else throw new Unsupported("composite type 0x" + form.toString(16));
}
function storage(r) { if (r.peek() === 0x78 || r.peek() === 0x77) r.pos++; else r.valtype(); r.byte(); }

function skipConst(r) {
  for (;;) {
    const op = r.byte();
    if (op === 0x0b) return;
    if (op === 0x41 || op === 0x42) r.s();
    else if (op === 0x43) r.skip(4);
    else if (op === 0x44) r.skip(8);
    else if (op === 0x23 || op === 0xd2) r.u();
    else if (op === 0xd0) r.heap();
    else if ([0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e].includes(op)) continue;
    else if (op === 0xfb) { const s = r.u(); if ([0, 1, 6, 7].includes(s)) r.u(); else if (s === 8) { r.u(); r.u(); } else if (![26, 27, 28].includes(s)) throw new Unsupported("const op"); }
    else if (op === 0xfd) { if (r.u() !== 12) throw new Unsupported("const op"); r.skip(16); }
    else throw new Unsupported("const op 0x" + op.toString(16));
  }
}

function hierarchy(info, t) {
  if (typeof t.heap === "string") return Object.values(ABSTRACT).find(([n]) => n === t.heap)[1];
  const k = info.kinds[t.heap];
  if (k === undefined) throw new Unsupported("type index out of range");
  return { func: "func", struct: "any", array: "any" }[k] || k;
}
function boundaryKind(info, t) {
  if (t.kind !== "ref") return t.kind;
  const h = hierarchy(info, t);
  if (h === "cont") throw new Unsupported("continuation references");
  return h;
}

// ---- writing trampolines --------------------------------------------------

const uleb = (n) => { const o = []; do { let b = n & 0x7f; n = Math.floor(n / 128); if (n) b |= 0x80; o.push(b); } while (n); return o; };
const sleb = (n) => { const o = []; for (;;) { const b = n & 0x7f; n >>= 7;
  if ((n === 0 && !(b & 0x40)) || (n === -1 && (b & 0x40))) { o.push(b); return o; } o.push(b | 0x80); } };
const vec = (items) => [...uleb(items.length), ...items.flat()];
const section = (id, payload) => [id, ...uleb(payload.length), ...payload];
const name = (s) => { const b = [...new TextEncoder().encode(s)]; return [...uleb(b.length), ...b]; };
const I32 = [0x7f], I64 = [0x7e], FUNCREF = [0x70], EXTERNREF = [0x6f], GC = 0xfb;
const PARAM = { i32: [I32], i64: [I64], f32: [I32], f64: [I64], v128: [I64, I64], func: [FUNCREF],
  extern: [EXTERNREF], any: [EXTERNREF], exn: [] };
const RESULT = { i32: [I32], i64: [I64], f32: [I32], f64: [I64], v128: [I64, I64], func: [FUNCREF],
  extern: [EXTERNREF], any: [I32, EXTERNREF], exn: [I32] };
const TOPS = { func: 0x70, extern: 0x6f, any: 0x6e };
const local = (op, i) => [op, ...uleb(i)];

function paramCode(info, t, slot) {
  const k = boundaryKind(info, t), get = local(0x20, slot);
  if (k === "i32" || k === "i64") return get;
  if (k === "f32") return [...get, 0xbe];
  if (k === "f64") return [...get, 0xbf];
  if (k === "v128") return [0xfd, ...uleb(12), ...new Array(16).fill(0), ...get, 0xfd, ...uleb(30), 0,
    ...local(0x20, slot + 1), 0xfd, ...uleb(30), 1];
  if (k === "exn") { if (!t.nullable) throw new Unsupported("non-null exnref parameter"); return [0xd0, 0x74]; }
  let code = [...get];
  if (k === "any") code.push(GC, ...uleb(26));
  if (!(t.raw.length === 1 && t.raw[0] === TOPS[k])) code.push(GC, ...uleb(t.nullable ? 23 : 22), ...t.heapRaw);
  return code;
}

function resultCode(info, t, loc, scratch) {
  const k = boundaryKind(info, t), get = local(0x20, loc);
  // an externref reaches JS as itself: null, one of our host objects, or
  // (an externalized GC value) something else; no GC instruction needed
  if (k === "i32" || k === "i64" || k === "func" || k === "extern") return get;
  if (k === "f32") return [...get, 0xbc];
  if (k === "f64") return [...get, 0xbd];
  if (k === "v128") return [...get, 0xfd, ...uleb(29), 0, ...get, 0xfd, ...uleb(29), 1];
  if (k === "exn") return [...get, 0xd1, 0x45];
  const c = (n) => [0x41, ...sleb(n)], test = (h) => [GC, ...uleb(20), h];
  const IFI = [0x04, 0x7f], IFE = [0x04, 0x6f], ELSE = 0x05, END = 0x0b;
  let classify, hostKind, hostValue;
  if (k === "extern") {
    classify = [...get, 0xd1, ...IFI, ...c(0), ELSE, ...get, GC, ...uleb(26), ...test(0x6d), ...IFI, ...c(2), ELSE, ...c(1), END, END];
    hostKind = 1; hostValue = get;
  } else {
    classify = [...get, 0xd1, ...IFI, ...c(0), ELSE, ...get, ...test(0x6c), ...IFI, ...c(1), ELSE,
      ...get, ...test(0x6b), ...IFI, ...c(2), ELSE, ...get, ...test(0x6a), ...IFI, ...c(3), ELSE, ...c(4),
      END, END, END, END];
    hostKind = 4; hostValue = [...get, GC, ...uleb(27)];
  }
  return [...classify, ...local(0x22, scratch), ...local(0x20, scratch), ...c(hostKind), 0x46,
    ...IFE, ...hostValue, ELSE, 0xd0, 0x6f, END];
}

const nullableType = (t) => (t.kind === "ref" && !t.nullable ? [0x63, ...t.raw.slice(1)] : [...t.raw]);

function resultsPart(info, results, firstLocal, locals, wrapperResults) {
  const at = results.map((t) => { locals.push(nullableType(t)); return firstLocal + locals.length - 1; });
  let code = [];
  for (const i of [...at].reverse()) code.push(...local(0x21, i));
  results.forEach((t, n) => {
    const k = boundaryKind(info, t), scratch = firstLocal + locals.length;
    if (k === "any") locals.push(I32);
    code.push(...resultCode(info, t, at[n], scratch));
    wrapperResults.push(...RESULT[k]);
  });
  return code;
}

function moduleOf(info, params, results, importDesc, importName, locals, body) {
  const wrapperType = [0x60, ...vec(params), ...vec(results)];
  const types = [...uleb(info.groupCount + 1), ...info.groupsRaw, ...wrapperType];
  const imports = vec([[...name(""), ...name(importName), ...importDesc]]);
  const funcs = vec([uleb(info.kinds.length)]);
  const exports = vec([[...name("f"), 0x00, ...uleb(importDesc[0] === 0 ? 1 : 0)]]);
  const codeBody = [...vec(locals.map((t) => [...uleb(1), ...t])), ...body, 0x0b];
  const code = vec([[...uleb(codeBody.length), ...codeBody]]);
  return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...section(1, types), ...section(2, imports),
    ...section(3, funcs), ...section(7, exports), ...section(10, code)]);
}

function funcTrampoline(info, typeIndex) {
  const sig = info.funcTypes.get(typeIndex), params = [];
  let body = [];
  for (const t of sig.params) { body.push(...paramCode(info, t, params.length)); params.push(...PARAM[boundaryKind(info, t)]); }
  body.push(0x10, 0x00);
  const locals = [], results = [];
  body.push(...resultsPart(info, sig.results, params.length, locals, results));
  return moduleOf(info, params, results, [0x00, ...uleb(typeIndex)], "f", locals, body);
}

function globalTrampoline(info, t, mutable) {
  const locals = [], results = [];
  const body = [0x23, 0x00, ...resultsPart(info, [t], 0, locals, results)];
  return moduleOf(info, [], results, [0x03, ...t.raw, mutable ? 1 : 0], "g", locals, body);
}

// ---- values ---------------------------------------------------------------

const M64 = (1n << 64n) - 1n;
const hosts = new Map();
function host(n) { if (!hosts.has(n)) hosts.set(n, { spectestHost: n }); return hosts.get(n); }

function argsFor(info, types, args) {
  if (types.length !== args.length) throw new Unsupported(`${args.length} arguments for ${types.length} parameters`);
  const out = [];
  types.forEach((t, i) => {
    const k = boundaryKind(info, t), v = args[i];
    if (["i32", "i64", "f32", "f64", "v128"].includes(k)) {
      if (v.type !== k) throw new Unsupported(`a ${v.type} argument for a ${k} parameter`);
      const b = BigInt(v.bits);
      if (k === "i32" || k === "f32") out.push(Number(BigInt.asIntN(32, b)));
      else if (k === "i64" || k === "f64") out.push(BigInt.asIntN(64, b));
      else { out.push(BigInt.asIntN(64, b & M64)); out.push(BigInt.asIntN(64, b >> 64n)); }
    } else if (k === "exn") {
      if (v.kind !== "null") throw new Unsupported("only a null exnref can be passed");
    } else {
      if (v.type !== "ref") throw new Unsupported("a reference parameter needs a reference");
      if (v.kind === "null") out.push(null);
      else if (v.host !== undefined && k !== "func") out.push(host(v.host));
      else throw new Unsupported(`cannot pass ref.${v.kind} from the host`);
    }
  });
  return out;
}

function valuesOf(info, types, raw) {
  let i = 0;
  const next = () => raw[i++];
  const bits = (type, b) => ({ type, bits: b.toString() });
  return types.map((t) => {
    const k = boundaryKind(info, t);
    if (k === "i32" || k === "f32") return bits(k, BigInt.asUintN(32, BigInt(next())));
    if (k === "i64" || k === "f64") return bits(k, BigInt.asUintN(64, next()));
    if (k === "v128") { const lo = BigInt.asUintN(64, next()), hi = BigInt.asUintN(64, next()); return bits("v128", lo | (hi << 64n)); }
    if (k === "func") return next() === null ? { type: "ref", kind: "null" } : { type: "ref", kind: "func" };
    if (k === "exn") return next() ? { type: "ref", kind: "exn" } : { type: "ref", kind: "null" };
    if (k === "extern") {
      const value = next();
      if (value === null) return { type: "ref", kind: "null" };
      const hostNo = typeof value === "object" && "spectestHost" in value ? value.spectestHost : undefined;
      return { type: "ref", kind: "extern", ...(hostNo !== undefined ? { host: hostNo } : {}) };
    }
    const tag = next(), value = next();
    const hostNo = value && typeof value === "object" && "spectestHost" in value ? value.spectestHost : undefined;
    if (tag === 0) return { type: "ref", kind: "null" };
    if (k === "extern") return tag === 1 ? { type: "ref", kind: "extern", ...(hostNo !== undefined ? { host: hostNo } : {}) } : { type: "ref", kind: "extern" };
    const kinds = { 1: "i31", 2: "struct", 3: "array" };
    if (tag in kinds) return { type: "ref", kind: kinds[tag] };
    return { type: "ref", kind: "host", ...(hostNo !== undefined ? { host: hostNo } : {}) };
  });
}

// ---- outcomes ---------------------------------------------------------------

function outcomeOf(e, phase) {
  const message = String(e && e.message || e);
  if (e instanceof Unsupported) return { outcome: "unsupported", reason: "host-boundary", message };
  if (e instanceof WebAssembly.CompileError) return { outcome: "rejected", message };
  if (e instanceof WebAssembly.LinkError) return { outcome: "unlinkable", message };
  if (e instanceof WebAssembly.RuntimeError) return { outcome: "trapped", message };
  if (typeof WebAssembly.Exception === "function" && e instanceof WebAssembly.Exception) return { outcome: "exception", message };
  if (e instanceof RangeError && /call stack/i.test(message)) return { outcome: "exhausted", message };
  if (phase === "instantiate" && e instanceof TypeError) return { outcome: "unlinkable", message };
  return { outcome: "error", message: `${e && e.constructor && e.constructor.name}: ${message}` };
}

// ---- the spectest host module ---------------------------------------------

function spectestModule() {
  const F32 = new Float32Array(1), noop = () => {};
  F32[0] = 666.6;
  const g = (type, value) => new WebAssembly.Global({ value: type, mutable: false }, value);
  const m = { print: noop, print_i32: noop, print_i64: noop, print_f32: noop, print_f64: noop,
    print_i32_f32: noop, print_f64_f64: noop,
    global_i32: g("i32", 666), global_i64: g("i64", 666n), global_f32: g("f32", F32[0]), global_f64: g("f64", 666.6),
    table: new WebAssembly.Table({ initial: 10, maximum: 20, element: "anyfunc" }),
    memory: new WebAssembly.Memory({ initial: 1, maximum: 2 }) };
  try { m.shared_memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true }); } catch { /* no threads */ }
  try { m.table64 = new WebAssembly.Table({ initial: 10, maximum: 20, element: "anyfunc", index: "i64" }); } catch { /* no memory64 tables */ }
  return m;
}

// ---- the driver --------------------------------------------------------------

let handles = new Map(), contexts = new Map(), nextHandle = 1;
const keep = (v) => { handles.set(nextHandle, v); return nextHandle++; };
const need = (h, what) => { if (!handles.has(h)) throw new Error(`unknown ${what} handle ${h}`); return handles.get(h); };
const CLAIMS = (process.env.SPECTEST_NODE_CLAIMS || "").split(",").filter(Boolean);

function trampoline(inst, key, build) {
  if (!inst.trampolines.has(key)) {
    const [kind, field] = key;
    let mod;
    try { mod = new WebAssembly.Module(build()); } catch (e) { throw new Unsupported(`trampoline for ${field} rejected: ${e.message}`); }
    const t = new WebAssembly.Instance(mod, { "": { [kind === "func" ? "f" : "g"]: inst.instance.exports[field] } });
    inst.trampolines.set(key, t.exports.f);
  }
  return inst.trampolines.get(key);
}

function callOf(fn, args, width) {
  const r = fn(...args);
  if (width === 0) return [];
  return width === 1 ? [r] : Array.from(r);
}

const ops = {
  hello: () => ({ outcome: "returned", protocol: PROTOCOL, engine: `node ${process.version} (V8 ${process.versions.v8})`,
    reads_text: false, claims: CLAIMS }),
  session: () => {
    handles = new Map(); contexts = new Map(); nextHandle = 1;
    contexts.set(0, { registry: new Map([["spectest", spectestModule()]]) });
    return { outcome: "returned" };
  },
  thread: (m) => { const h = keep(null); contexts.set(h, { registry: new Map([["spectest", contexts.get(0).registry.get("spectest")]]) }); return { outcome: "returned", handle: h }; },
  load: (m) => {
    if (typeof m.binary !== "string") return { outcome: "unsupported", reason: "text-format", message: "binary modules only" };
    const bytes = new Uint8Array(readFileSync(m.binary));
    const module = new WebAssembly.Module(bytes);
    return { outcome: "returned", handle: keep({ module, bytes, info: null }) };
  },
  instantiate: (m, ctx) => {
    const mod = need(m.module, "module");
    const imports = {};
    for (const imp of WebAssembly.Module.imports(mod.module)) {
      const from = ctx.registry.get(imp.module);
      if (!from || !(imp.name in from)) return { outcome: "unlinkable", message: `unknown import ${imp.module}.${imp.name}` };
      (imports[imp.module] ||= {})[imp.name] = from[imp.name];
    }
    const instance = new WebAssembly.Instance(mod.module, imports);
    return { outcome: "returned", handle: keep({ instance, mod, trampolines: new Map() }) };
  },
  register: (m, ctx) => { ctx.registry.set(m.name, need(m.instance, "instance").instance.exports); return { outcome: "returned" }; },
  invoke: (m) => {
    const inst = need(m.instance, "instance");
    if (typeof inst.instance.exports[m.field] !== "function") return { outcome: "unknown-export", message: `no exported function ${m.field}` };
    const info = inst.mod.info ||= readInfo(inst.mod.bytes);
    const [kind, index] = info.exports.get(m.field) || [];
    if (kind !== 0) return { outcome: "unknown-export", message: m.field };
    const typeIndex = info.funcTypeIndex[index], sig = info.funcTypes.get(typeIndex);
    const args = argsFor(info, sig.params, m.args || []);
    const fn = trampoline(inst, ["func", m.field], () => funcTrampoline(info, typeIndex));
    const width = sig.results.reduce((n, t) => n + RESULT[boundaryKind(info, t)].length, 0);
    return { outcome: "returned", results: valuesOf(info, sig.results, callOf(fn, args, width)) };
  },
  get: (m) => {
    const inst = need(m.instance, "instance");
    if (!(inst.instance.exports[m.field] instanceof WebAssembly.Global)) return { outcome: "unknown-export", message: `no exported global ${m.field}` };
    const info = inst.mod.info ||= readInfo(inst.mod.bytes);
    const [kind, index] = info.exports.get(m.field) || [];
    const [t, mutable] = info.globals[index];
    if (kind !== 3) return { outcome: "unknown-export", message: m.field };
    const fn = trampoline(inst, ["global", m.field], () => globalTrampoline(info, t, mutable));
    return { outcome: "returned", results: valuesOf(info, [t], callOf(fn, [], RESULT[boundaryKind(info, t)].length)) };
  },
};

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  if (!line.trim()) return;
  const m = JSON.parse(line);
  let reply;
  try {
    const op = ops[m.op];
    if (!op) reply = { outcome: "error", message: `unknown op ${m.op}` };
    else {
      const ctx = contexts.get(m.ctx || 0);
      if (!ctx && !["hello", "session"].includes(m.op)) reply = { outcome: "error", message: "no session" };
      else reply = op(m, ctx);
    }
  } catch (e) {
    reply = outcomeOf(e, m.op);
  }
  process.stdout.write(JSON.stringify({ id: m.id, ...reply }) + "\n");
});
