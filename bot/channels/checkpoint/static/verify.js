// The checkpoint's verifier, on the device: the same pipeline and the same verdicts as the server's
// (bot/services/certificates/credentials.py: `verify`, `check`, `checkpoint_kind`).
//
//   text ─ prefix (HC1: | SSKDT1:) ─ Base45 ─ zlib (DecompressionStream) ─ CBOR: COSE_Sign1 ─ ES256 (WebCrypto)
//        ─ the signer in the trust list? ─ the signed body ─ expiry ─ withdrawn (replaced | revoked)? ─ verdict
//
// Verdicts: valid, superseded, revoked, expired, unknown_issuer, development, forged (malformed included).
// Nothing here keeps what it read: the caller shows it and forgets it.
"use strict";
(function (root) {
  const HC1 = "HC1:", CARD = "SSKDT1:";
  const CLAIM_EXP = 4, CLAIM_IAT = 6, CLAIM_HCERT = -260, CLAIM_CARD = -70001;
  const ALG = 1, KID = 4, ES256 = -7;
  const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  const MAX_DEPTH = 16, MAX_ITEMS = 10000;

  class Bad extends Error {}

  function base45(text) {
    const out = [];
    for (let i = 0; i < text.length; i += 3) {
      const chunk = text.slice(i, i + 3), values = [...chunk].map(c => B45.indexOf(c));
      if (values.some(v => v < 0) || chunk.length === 1) throw new Bad("base45");
      const n = values[0] + values[1] * 45 + (values.length === 3 ? values[2] * 2025 : 0);
      if (values.length === 3) {
        if (n > 0xffff) throw new Bad("base45");
        out.push(n >> 8, n & 0xff);
      } else {
        if (n > 0xff) throw new Bad("base45");
        out.push(n);
      }
    }
    return new Uint8Array(out);
  }

  async function inflate(bytes) {
    try {
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
      return new Uint8Array(await new Response(stream).arrayBuffer());
    } catch (e) { throw new Bad("compression"); }
  }

  // CBOR (RFC 8949), as much as a COSE_Sign1 needs: every item bounded (depth, counts, lengths within the bytes).
  class Tag { constructor(tag, value) { this.tag = tag; this.value = value; } }
  function decodeCbor(bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0, items = 0;
    function need(n) { if (n < 0 || at + n > bytes.length) throw new Bad("cbor"); }
    function length(info) {
      if (info < 24) return info;
      if (info === 24) { need(1); return bytes[at++]; }
      if (info === 25) { need(2); const v = view.getUint16(at); at += 2; return v; }
      if (info === 26) { need(4); const v = view.getUint32(at); at += 4; return v; }
      if (info === 27) {
        need(8); const hi = view.getUint32(at), lo = view.getUint32(at + 4); at += 8;
        return hi >= 0x200000 ? Infinity : hi * 0x100000000 + lo;  // past 2^53: too big to be anything here
      }
      throw new Bad("cbor");  // indefinite lengths: not in a COSE message
    }
    function item(depth) {
      if (depth > MAX_DEPTH || ++items > MAX_ITEMS) throw new Bad("cbor");
      need(1);
      const first = bytes[at++], major = first >> 5, info = first & 31;
      if (major === 7) {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22 || info === 23) return null;
        if (info === 25) { need(2); const h = view.getUint16(at); at += 2; return half(h); }
        if (info === 26) { need(4); const v = view.getFloat32(at); at += 4; return v; }
        if (info === 27) { need(8); const v = view.getFloat64(at); at += 8; return v; }
        throw new Bad("cbor");
      }
      const n = length(info);
      if (major === 0) return n;
      if (major === 1) return -1 - n;
      if (major === 2 || major === 3) {
        need(n); const slice = bytes.subarray(at, at + n); at += n;
        if (major === 2) return slice;
        try { return new TextDecoder("utf-8", {fatal: true}).decode(slice); } catch (e) { throw new Bad("cbor"); }
      }
      if (major === 4) {
        if (n > bytes.length - at) throw new Bad("cbor");
        const list = []; for (let i = 0; i < n; i++) list.push(item(depth + 1)); return list;
      }
      if (major === 5) {
        if (n > bytes.length - at) throw new Bad("cbor");
        const map = new Map();
        for (let i = 0; i < n; i++) {
          const key = item(depth + 1);
          if (typeof key === "object" && key !== null) throw new Bad("cbor");  // a map or list as a key
          map.set(key, item(depth + 1));
        }
        return map;
      }
      return new Tag(n, item(depth + 1));  // major 6
    }
    const value = item(0);
    if (at !== bytes.length) throw new Bad("cbor");
    return value;
  }
  function half(h) {
    const exp = (h >> 10) & 31, frac = h & 1023, sign = h & 0x8000 ? -1 : 1;
    if (exp === 0) return sign * frac * 2 ** -24;
    if (exp === 31) return frac ? NaN : sign * Infinity;
    return sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }

  // The bytes signed: ["Signature1", protected, h'', payload] in CBOR.
  function sigStructure(protectedBytes, payload) {
    const parts = [];
    function head(major, n) {
      if (n < 24) parts.push(new Uint8Array([major << 5 | n]));
      else if (n < 256) parts.push(new Uint8Array([major << 5 | 24, n]));
      else if (n < 65536) parts.push(new Uint8Array([major << 5 | 25, n >> 8, n & 255]));
      else parts.push(new Uint8Array([major << 5 | 26, n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255]));
    }
    head(4, 4);
    const context = new TextEncoder().encode("Signature1");
    head(3, context.length); parts.push(context);
    head(2, protectedBytes.length); parts.push(protectedBytes);
    head(2, 0);
    head(2, payload.length); parts.push(payload);
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0; for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  const b64 = text => Uint8Array.from(atob(text), c => c.charCodeAt(0));
  const hex = bytes => [...bytes].map(b => b.toString(16).padStart(2, "0")).join("");

  // The trust list and the withdrawn credentials, as /kiemtra/data.json gives them: keys imported once.
  async function trustFrom(data) {
    const keys = new Map();
    for (const k of data.keys || []) {
      try {
        const key = await crypto.subtle.importKey("spki", b64(k.spki), {name: "ECDSA", namedCurve: "P-256"},
                                                  false, ["verify"]);
        keys.set(hex(b64(k.kid)), {key, development: !!k.development});
      } catch (e) { /* a key this device cannot use: its codes read as from an unknown issuer */ }
    }
    return {keys, superseded: new Set(data.superseded || []), revoked: new Set(data.revoked || [])};
  }

  function count(value) {  // a dose number or series as signed: a whole number from 0 to 20, nothing else
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 20) throw new Bad("body");
    return value;
  }
  function get(map, key) { return map instanceof Map ? map.get(key) : undefined; }

  // Read as the server reads it (Python's truthiness: an empty list or map counts as absent), so that the
  // same code gets the same verdict on both sides, malformed ones included.
  const absent = x => x === undefined || x === null || x === false || x === 0 || x === ""
    || (Array.isArray(x) && !x.length) || ((x instanceof Map || x instanceof Uint8Array) && !(x.size ?? x.length));
  const str = x => x === undefined || x === null ? "None" : String(x);

  function readBody(claims, card) {
    let body;
    if (card) body = get(claims, CLAIM_CARD);
    else {
      const hcert = get(claims, CLAIM_HCERT);
      if (!absent(hcert) && !(hcert instanceof Map)) throw new Bad("body");
      body = get(hcert, 1);
    }
    if (!(body instanceof Map)) return null;
    const names = body.get("nam"), read = {name: null, birthDate: null, doses: 0, series: 0, id: null, given: null};
    if (!absent(names) && !(names instanceof Map)) throw new Bad("body");
    const parts = names instanceof Map ? [names.get("fn"), names.get("gn")].filter(x => !absent(x)) : [];
    read.name = parts.length ? parts.map(String).join(" ") : null;
    read.birthDate = absent(body.get("dob")) ? null : String(body.get("dob"));
    const entries = body.get("v");
    if (!absent(entries)) {
      if (!Array.isArray(entries)) throw new Bad("body");
      const entry = entries[entries.length - 1];
      if (!(entry instanceof Map)) throw new Bad("body");
      read.doses = count(entry.has("dn") ? entry.get("dn") : 0);
      read.series = count(entry.has("sd") ? entry.get("sd") : 0);
      read.id = str(entry.get("ci"));
      read.given = absent(entry.get("dt")) ? null : String(entry.get("dt"));
    } else {
      read.id = str(body.get("id"));
    }
    read.level = read.doses <= 0 ? "none" : read.doses >= read.series ? "complete" : "partial";
    return read;
  }

  // A signed time as the server takes it: a number of seconds within the years 1 to 9999, else none.
  const moment = x => typeof x === "number" && Number.isFinite(x) && x > -62135596800 && x < 253402300800 ? x : null;

  async function decode(text, prefix, trust) {
    if (!text.startsWith(prefix)) return {error: "prefix"};
    let compressed, raw, message, claims, protectedBytes, payload, signature, headers = new Map();
    try { compressed = base45(text.slice(prefix.length)); } catch (e) { return {error: "base45"}; }
    try { raw = await inflate(compressed); } catch (e) { return {error: "compression"}; }
    try {
      message = decodeCbor(raw);
      while (message instanceof Tag) message = message.value;  // COSE_Sign1 (18), maybe inside a CWT tag (61)
      if (!Array.isArray(message) || message.length !== 4) throw new Bad("cose");
      let unprotected;
      [protectedBytes, unprotected, payload, signature] = message;
      if (!(protectedBytes instanceof Uint8Array) || !(payload instanceof Uint8Array)
          || !(signature instanceof Uint8Array)) throw new Bad("cose");
      const protectedMap = protectedBytes.length ? decodeCbor(protectedBytes) : new Map();
      claims = decodeCbor(payload);
      if (!(claims instanceof Map)) throw new Bad("cose");
      for (const part of [unprotected, protectedMap]) {
        if (absent(part)) continue;
        if (!(part instanceof Map)) throw new Bad("cose");
        for (const [k, v] of part) headers.set(k, v);
      }
    } catch (e) { return {error: "cose"}; }
    const kid = headers.get(KID), signer = kid instanceof Uint8Array ? trust.keys.get(hex(kid)) : undefined;
    if (!signer) return {error: "unknown issuer", claims};
    let good = false;
    if (headers.get(ALG) === ES256 && signature.length === 64) {
      try {
        good = await crypto.subtle.verify({name: "ECDSA", hash: "SHA-256"}, signer.key, signature,
                                          sigStructure(protectedBytes, payload));
      } catch (e) { good = false; }
    }
    return good ? {claims, signer} : {error: "signature", claims};
  }

  async function withdrawalHash(id) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(id)));
    return hex(digest.subarray(0, 16));
  }

  // The verdict for one scanned text, at `now` (ms since 1970). What it read (name, doses…) only when signed.
  async function verify(text, trust, now = Date.now()) {
    text = text.trim();
    const card = text.startsWith(CARD), decoded = await decode(text, card ? CARD : HC1, trust);
    if (decoded.error) return {kind: decoded.error === "unknown issuer" ? "unknown_issuer" : "forged",
                               reason: decoded.error};
    let body;
    try { body = readBody(decoded.claims, card); } catch (e) { body = null; }
    if (!body) return {kind: "forged", reason: "malformed payload"};
    const exp = moment(decoded.claims.get(CLAIM_EXP)), iat = moment(decoded.claims.get(CLAIM_IAT));
    const seconds = now / 1000, shown = {...body, expires: exp};
    if (exp === null || seconds > exp) return {kind: "expired", ...shown};
    if (iat !== null && seconds < iat) return {kind: "expired", ...shown};
    const hash = await withdrawalHash(body.id);
    if (trust.revoked.has(hash)) return {kind: "revoked", ...shown};
    if (trust.superseded.has(hash)) return {kind: "superseded", ...shown};
    if (decoded.signer.development) return {kind: "development", ...shown};
    return {kind: "valid", ...shown};
  }

  // The first verdict should not pay for first uses: inflate, a digest and an ECDSA check, run once on nothing.
  async function warm(trust) {
    const zlibEmpty = new Uint8Array([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    try { await inflate(zlibEmpty); } catch (e) { /* nothing to warm */ }
    await withdrawalHash("");
    const first = trust.keys.values().next().value;
    if (first) {
      try { await crypto.subtle.verify({name: "ECDSA", hash: "SHA-256"}, first.key, new Uint8Array(64), zlibEmpty); }
      catch (e) { /* nothing to warm */ }
    }
  }

  root.SSKDTVerify = {verify, trustFrom, warm, base45, decodeCbor};
})(typeof self !== "undefined" ? self : this);
