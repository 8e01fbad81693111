// Rucket console: uploads with progress (presigned S3 requests, multipart for large files),
// metrics charts drawn as inline SVG, confirmations and editor examples. No build step.
"use strict";

const MiB = 1024 * 1024;
const PART_SIZE = 8 * MiB;          // S3 minimum is 5 MiB for all parts but the last
const MULTIPART_FROM = 8 * MiB;     // files at least this large go multipart
const PART_CONCURRENCY = 3;

const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
const consolePrefix = () => document.querySelector('meta[name="console-prefix"]').content;  // core/paths.py CONSOLE

// ---- forms --------------------------------------------------------------------------------
document.addEventListener("submit", (ev) => {
  const msg = ev.target.dataset && ev.target.dataset.confirm;
  if (msg && !window.confirm(msg)) ev.preventDefault();
});

document.addEventListener("click", (ev) => {
  const btn = ev.target.closest("[data-example]");
  if (!btn) return;
  const area = document.getElementById(btn.dataset.example);
  try { area.value = JSON.stringify(JSON.parse(btn.dataset.text), null, 2); } catch (e) { area.value = btn.dataset.text; }
  area.focus();
});

// copy buttons: the text of the input named by data-copy goes to the clipboard
document.addEventListener("click", async (ev) => {
  const btn = ev.target.closest("[data-copy]");
  if (!btn) return;
  const input = document.getElementById(btn.dataset.copy);
  const status = document.getElementById("copy-status");
  input.select();
  let ok = false;
  try { await navigator.clipboard.writeText(input.value); ok = true; } catch (e) { ok = document.execCommand("copy"); }
  if (status) status.textContent = ok ? "Copied" : "Press Ctrl+C to copy";
  btn.dataset.copied = ok ? "1" : "0";
});

// ---- uploads ------------------------------------------------------------------------------
async function presign(body) {
  const r = await fetch(consolePrefix() + "/api/presign", {
    method: "POST", credentials: "same-origin",
    headers: {"content-type": "application/json", "x-csrf-token": csrf()},
    body: JSON.stringify(body),
  });
  const data = await r.json();
  if (!r.ok) throw new Error(data.error || ("presign failed: HTTP " + r.status));
  return data;
}

function send(method, url, body, onProgress, contentType) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    if (contentType) xhr.setRequestHeader("content-type", contentType);
    if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => resolve({status: xhr.status, etag: xhr.getResponseHeader("ETag"), text: xhr.responseText});
    xhr.onerror = () => reject(new Error("network error"));
    xhr.send(body);
  });
}

function s3Error(res) {
  const doc = new DOMParser().parseFromString(res.text || "", "application/xml");
  const code = doc.querySelector("Error > Code");
  if (!code) return "HTTP " + res.status;
  const msg = doc.querySelector("Error > Message");
  return code.textContent + (msg ? ": " + msg.textContent : "");
}

async function putSingle(t) {
  const {url} = await presign({op: "put", bucket: t.bucket, key: t.key});
  const res = await send("PUT", url, t.file, (n) => t.progress(n), t.file.type || "application/octet-stream");
  if (res.status !== 200) throw new Error(s3Error(res));
}

async function putMultipart(t) {
  const {url: createUrl} = await presign({op: "create", bucket: t.bucket, key: t.key});
  const created = await send("POST", createUrl, null, null, t.file.type || "application/octet-stream");
  if (created.status === 501) return putSingle(t);  // a server without multipart: one PUT
  if (created.status !== 200) throw new Error(s3Error(created));
  const uploadId = new DOMParser().parseFromString(created.text, "application/xml")
    .querySelector("UploadId").textContent;
  const count = Math.ceil(t.file.size / PART_SIZE);
  const numbers = Array.from({length: count}, (_, i) => i + 1);
  const {urls} = await presign({op: "parts", bucket: t.bucket, key: t.key, upload_id: uploadId, parts: numbers});
  const loaded = new Array(count).fill(0), etags = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const blob = t.file.slice(i * PART_SIZE, Math.min(t.file.size, (i + 1) * PART_SIZE));
      const res = await send("PUT", urls[i], blob, (n) => { loaded[i] = n; t.progress(loaded.reduce((a, b) => a + b, 0)); });
      if (res.status !== 200) throw new Error(s3Error(res));
      etags[i] = res.etag;
    }
  };
  try {
    await Promise.all(Array.from({length: Math.min(PART_CONCURRENCY, count)}, worker));
    const xml = "<CompleteMultipartUpload>" + etags.map((e, i) =>
      `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join("") + "</CompleteMultipartUpload>";
    const {url} = await presign({op: "complete", bucket: t.bucket, key: t.key, upload_id: uploadId});
    const done = await send("POST", url, xml, null, "application/xml");
    if (done.status !== 200 || done.text.includes("<Error>")) throw new Error(s3Error(done));
  } catch (err) {
    presign({op: "abort", bucket: t.bucket, key: t.key, upload_id: uploadId})
      .then(({url}) => send("DELETE", url, null)).catch(() => {});
    throw err;
  }
}

function transferRow(list, file) {
  const li = document.createElement("li");
  li.className = "transfer";
  li.innerHTML = '<span class="name"></span><progress max="1" value="0"></progress>' +
                 '<span class="pct">0%</span><span class="state">waiting</span>';
  li.querySelector(".name").textContent = file.name;
  li.querySelector("progress").max = Math.max(file.size, 1);
  list.appendChild(li);
  return li;
}

async function uploadAll(section, files) {
  const list = section.querySelector(".transfers");
  const tasks = Array.from(files).map((file) => {
    const li = transferRow(list, file);
    return {
      file, li, bucket: section.dataset.bucket, key: section.dataset.prefix + file.name,
      progress(n) {
        li.querySelector("progress").value = n;
        li.querySelector(".pct").textContent = Math.floor(100 * n / Math.max(file.size, 1)) + "%";
      },
    };
  });
  let failed = 0;
  for (const t of tasks) {
    t.li.querySelector(".state").textContent = t.file.size >= MULTIPART_FROM ? "uploading (multipart)" : "uploading";
    try {
      await (t.file.size >= MULTIPART_FROM ? putMultipart(t) : putSingle(t));
      t.progress(t.file.size);
      t.li.classList.add("done");
      t.li.querySelector(".state").textContent = "done";
    } catch (err) {
      failed++;
      t.li.classList.add("failed");
      t.li.querySelector(".state").textContent = "failed: " + err.message;
    }
  }
  section.dataset.finished = String(tasks.length - failed);
  if (!failed && !section.dataset.stay) setTimeout(() => window.location.reload(), 600);
}

function initUpload() {
  const section = document.getElementById("upload");
  if (!section) return;
  const input = section.querySelector("#file-input");
  input.addEventListener("change", () => { if (input.files.length) uploadAll(section, input.files); });
  section.addEventListener("dragover", (e) => { e.preventDefault(); section.classList.add("drop"); });
  section.addEventListener("dragleave", () => section.classList.remove("drop"));
  section.addEventListener("drop", (e) => {
    e.preventDefault(); section.classList.remove("drop");
    if (e.dataTransfer.files.length) uploadAll(section, e.dataTransfer.files);
  });
}

// ---- find, select, bulk ---------------------------------------------------------------------
function initBrowse() {
  const table = document.getElementById("objects");
  const filter = document.getElementById("filter");
  if (!table || !filter) return;
  const rows = () => Array.from(table.querySelectorAll("tr.object, tr.folder"));
  const applyFilter = () => {  // client-side substring over the rows of this page
    const text = filter.value.trim().toLowerCase();
    let shown = 0;
    for (const r of rows()) {
      const hit = !text || r.dataset.name.toLowerCase().includes(text);
      r.classList.toggle("hidden", !hit);
      if (hit) shown++;
    }
    document.getElementById("no-match").classList.toggle("hidden", shown > 0 || rows().length === 0);
  };
  const initial = filter.value;
  filter.addEventListener("input", () => { if (filter.value !== initial) applyFilter(); });
  const picks = () => Array.from(table.querySelectorAll("input.pick-row"));
  const update = () => {
    const n = picks().filter((c) => c.checked).length;
    document.getElementById("selected-count").textContent = n + " selected";
    document.getElementById("delete-selected").disabled = n === 0;
    document.getElementById("zip-selected").disabled = n === 0;
  };
  table.addEventListener("change", (ev) => {
    if (ev.target.id === "select-all") {
      for (const c of picks()) if (!c.closest("tr").classList.contains("hidden")) c.checked = ev.target.checked;
    }
    update();
  });
  document.getElementById("zip-selected").addEventListener("click", (ev) => zipSelection(ev.target, picks()));
  update();
}

async function zipSelection(button, picks) {
  const status = document.getElementById("zip-status");
  const chosen = picks.filter((c) => c.checked);
  const body = {bucket: button.dataset.bucket, prefix: button.dataset.prefix,
                keys: chosen.filter((c) => c.name === "key").map((c) => c.value),
                prefixes: chosen.filter((c) => c.name === "prefix").map((c) => c.value)};
  button.disabled = true;
  try {
    const r = await fetch(consolePrefix() + "/api/zip", {method: "POST", credentials: "same-origin",
      headers: {"content-type": "application/json", "x-csrf-token": csrf()}, body: JSON.stringify(body)});
    const data = await r.json();
    if (!r.ok) throw new Error(data.error || ("HTTP " + r.status));
    const blob = await buildZip(data.files, (i, f) => { status.textContent = `zipping ${i + 1}/${data.files.length}: ${f.name}`; });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = (body.prefix ? body.prefix.replace(/\/$/, "").split("/").pop() : body.bucket) + ".zip";
    document.body.appendChild(a); a.click(); a.remove();
    status.textContent = `${data.files.length} files zipped`;
    status.dataset.done = String(data.files.length);
  } catch (err) {
    status.textContent = "zip failed: " + err.message;
    status.dataset.done = "error";
  } finally {
    button.disabled = false;
  }
}

// ---- metrics ------------------------------------------------------------------------------
function parseProm(text) {
  const out = [];
  for (const line of text.split("\n")) {
    if (!line || line[0] === "#") continue;
    const m = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] || "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({name: m[1], labels, value: parseFloat(m[3])});
  }
  return out;
}

const sum = (samples, name) => samples.filter((s) => s.name === name).reduce((a, s) => a + s.value, 0);
const byLabel = (samples, name, label) => {
  const m = new Map();
  for (const s of samples) if (s.name === name) m.set(s.labels[label], (m.get(s.labels[label]) || 0) + s.value);
  return m;
};

const SVG = "http://www.w3.org/2000/svg";
const COLORS = ["#2f6fde", "#e0793b", "#2e9e6a", "#b04bc7", "#c9a227", "#d64545"];

function el(parent, tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  parent.appendChild(node);
  return node;
}

function fmt(v) {
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(1) + "G";
  if (a >= 1e6) return (v / 1e6).toFixed(1) + "M";
  if (a >= 1e3) return (v / 1e3).toFixed(1) + "k";
  return a >= 10 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(2);
}

function niceMax(v) {  // 1, 2, 4, 6 or 8 times a power of ten, so the grid labels are round
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  return [1, 2, 4, 6, 8, 10].map((m) => m * p).find((m) => m >= v);
}

function lineChart(svg, series) {
  svg.replaceChildren();
  const W = 600, H = 200, L = 48, B = 22, T = 10;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.points)));
  const n = Math.max(2, ...series.map((s) => s.points.length));
  for (let i = 0; i <= 4; i++) {
    const y = T + (H - T - B) * (1 - i / 4);
    el(svg, "line", {x1: L, x2: W - 5, y1: y, y2: y, class: "grid"});
    el(svg, "text", {x: L - 6, y: y + 4, "text-anchor": "end", class: "axis"}, fmt(max * i / 4));
  }
  el(svg, "text", {x: W - 5, y: H - 4, "text-anchor": "end", class: "axis"}, "now");
  series.forEach((s, k) => {
    const pts = s.points.map((v, i) => [L + (W - 5 - L) * (i + n - s.points.length) / (n - 1),
                                        T + (H - T - B) * (1 - v / max)]);
    el(svg, "polyline", {points: pts.map((p) => p.join(",")).join(" "), fill: "none", stroke: COLORS[k],
                         "stroke-width": 2});
    el(svg, "text", {x: L + 8 + k * 110, y: H - 4, fill: COLORS[k], class: "legend"}, s.name);
  });
}

function barChart(svg, entries, width) {
  svg.replaceChildren();
  const W = width, H = Number(svg.viewBox.baseVal.height) || 200, L = 10, B = 40, T = 16;
  if (!entries.length) { el(svg, "text", {x: W / 2, y: H / 2, "text-anchor": "middle", class: "axis"}, "no data yet"); return; }
  const max = Math.max(1, ...entries.map((e) => e[1]));
  const bw = Math.min(60, (W - L * 2) / entries.length - 8);
  entries.forEach(([label, v], i) => {
    const x = L + i * (bw + 8), h = (H - T - B) * v / max;
    el(svg, "rect", {x, y: H - B - h, width: bw, height: Math.max(h, 1), fill: COLORS[i % COLORS.length], rx: 3});
    el(svg, "text", {x: x + bw / 2, y: H - B - h - 3, "text-anchor": "middle", class: "axis"}, fmt(v));
    el(svg, "text", {x: x + bw / 2, y: H - B + 14, "text-anchor": "middle", class: "axis"},
       label.length > 14 ? label.slice(0, 13) + "…" : label);
  });
}

function initMetrics() {
  const box = document.getElementById("charts");
  if (!box) return;
  const keep = 60, hist = {req: [], in: [], out: [], lat: []};
  let prev = null;
  const status = document.getElementById("metrics-status");
  const tick = async () => {
    let samples;
    try {
      const r = await fetch(box.dataset.source, {credentials: "same-origin"});
      samples = parseProm(await r.text());
    } catch (e) { status.textContent = "metrics unavailable"; return; }
    const now = {t: performance.now() / 1000, req: sum(samples, "rucket_s3_requests_total"),
                 in: sum(samples, "rucket_s3_received_bytes_total"), out: sum(samples, "rucket_s3_sent_bytes_total"),
                 lsum: sum(samples, "rucket_s3_request_duration_seconds_sum"),
                 lcount: sum(samples, "rucket_s3_request_duration_seconds_count")};
    if (prev) {
      const dt = Math.max(0.001, now.t - prev.t);
      const push = (k, v) => { hist[k].push(Math.max(0, v)); if (hist[k].length > keep) hist[k].shift(); };
      push("req", (now.req - prev.req) / dt);
      push("in", (now.in - prev.in) / dt);
      push("out", (now.out - prev.out) / dt);
      const dc = now.lcount - prev.lcount;
      push("lat", dc > 0 ? 1000 * (now.lsum - prev.lsum) / dc : 0);
      lineChart(document.getElementById("chart-requests"), [{name: "requests/s", points: hist.req}]);
      lineChart(document.getElementById("chart-bytes"), [{name: "in", points: hist.in}, {name: "out", points: hist.out}]);
      lineChart(document.getElementById("chart-latency"), [{name: "mean ms", points: hist.lat}]);
      status.textContent = `${Math.round(now.req)} requests served · updated ${new Date().toLocaleTimeString()}`;
      box.dataset.samples = String(hist.req.length);
    }
    barChart(document.getElementById("chart-storage"),
             [...byLabel(samples, "rucket_bucket_bytes", "bucket")].slice(0, 12), 600);
    barChart(document.getElementById("chart-ops"),
             [...byLabel(samples, "rucket_s3_requests_total", "operation")].sort((a, b) => b[1] - a[1]).slice(0, 14), 1200);
    prev = now;
  };
  // two samples right away, so the rate charts have a line on first load instead of an empty frame
  tick().then(() => setTimeout(tick, 400));
  setInterval(tick, Number(box.dataset.interval) || 2000);
}

document.addEventListener("DOMContentLoaded", () => { initUpload(); initMetrics(); initBrowse(); });
