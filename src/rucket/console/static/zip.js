// Rucket console: a zip writer for "download selection". Loaded before console.js, which
// calls buildZip() with presigned GET URLs; the bytes go from the S3 API to the file the
// browser saves, never through the console. Stored entries (no compression), CRC-32 computed
// as each response body streams in, sizes in data descriptors; up to 4 GiB (no zip64).
"use strict";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(crc, bytes) {
  let c = crc ^ 0xFFFFFFFF;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xFF] ^ (c >>> 8);
  return (c ^ 0xFFFFFFFF) >>> 0;
}

function le(fields) {  // [[value, bytes], ...] little-endian
  const out = new Uint8Array(fields.reduce((a, f) => a + f[1], 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const [v, n] of fields) { if (n === 2) view.setUint16(at, v, true); else view.setUint32(at, v, true); at += n; }
  return out;
}

// A zip (stored, no compression) written while each file streams in: local headers say
// "sizes follow" (flag bit 3) so nothing needs to be known before the bytes arrive.
async function buildZip(files, onFile) {
  const enc = new TextEncoder(), parts = [], central = [];
  let offset = 0;
  const push = (b) => { parts.push(b); offset += b.length; };
  for (const [i, f] of files.entries()) {
    onFile(i, f);
    const name = enc.encode(f.name), start = offset;
    push(le([[0x04034b50, 4], [20, 2], [0x0808, 2], [0, 2], [0, 2], [0x21, 2], [0, 4], [0, 4], [0, 4],
             [name.length, 2], [0, 2]]));
    push(name);
    const r = await fetch(f.url, {credentials: "omit"});
    if (!r.ok) throw new Error(f.key + ": " + s3Error({status: r.status, text: await r.text()}));
    const reader = r.body.getReader();
    let crc = 0, size = 0;
    for (;;) {
      const {done, value} = await reader.read();
      if (done) break;
      crc = crc32(crc, value); size += value.length; push(value);
    }
    push(le([[0x08074b50, 4], [crc, 4], [size, 4], [size, 4]]));
    if (offset >= 0xFFFFFFFF) throw new Error("the selection is over 4 GiB: download it with the CLI");
    central.push(le([[0x02014b50, 4], [20, 2], [20, 2], [0x0808, 2], [0, 2], [0, 2], [0x21, 2], [crc, 4],
                     [size, 4], [size, 4], [name.length, 2], [0, 2], [0, 2], [0, 2], [0, 2], [0, 4], [start, 4]]), name);
  }
  const cdStart = offset;
  for (const c of central) push(c);
  push(le([[0x06054b50, 4], [0, 2], [0, 2], [files.length, 2], [files.length, 2], [offset - cdStart, 4],
           [cdStart, 4], [0, 2]]));
  return new Blob(parts, {type: "application/zip"});
}
