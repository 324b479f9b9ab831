// The Assay console: plain ES module, no build step, talks only to this gateway's REST API.
// The token lives in sessionStorage (never in a URL); event streams use short-lived tickets.

const $ = (selector) => document.querySelector(selector);
const TOKEN_KEY = "assay.token";
const PAGE_SIZE = 20;
const LIVE_STREAMS = 5; // active jobs of the page followed over SSE at once

const state = { analyzers: [], pageTokens: [""], page: 0, streams: new Map(), current: null, currentStream: null };

// ---- API ---------------------------------------------------------------------------------------

function token() { return sessionStorage.getItem(TOKEN_KEY) || ""; }

class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function api(path, { method = "GET", body, json } = {}) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
  const response = await fetch(path, { method, headers, body });
  const text = await response.text();
  const data = text ? JSON.parse(text) : {};
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function upload(form, onProgress) {
  // XMLHttpRequest, not fetch: only it reports upload progress.
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/jobs");
    xhr.setRequestHeader("Authorization", `Bearer ${token()}`);
    xhr.upload.onprogress = (event) => { if (event.lengthComputable) onProgress(100 * event.loaded / event.total); };
    xhr.onload = () => {
      const data = xhr.responseText ? JSON.parse(xhr.responseText) : {};
      if (xhr.status >= 200 && xhr.status < 300) resolve(data); else reject(new ApiError(xhr.status, data));
    };
    xhr.onerror = () => reject(new ApiError(0, { detail: "the upload failed (network)" }));
    xhr.send(form);
  });
}

// ---- small DOM helpers -------------------------------------------------------------------------

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "class") node.className = value;
    else if (name === "style") node.style.cssText = value; // CSSOM: allowed by the console's CSP, unlike a style attribute
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

const shortState = (s) => (s || "").replace(/^STATE_/, "").toLowerCase();
const shortEnum = (value, prefix) => (value || "").replace(prefix, "").replaceAll("_", " ").toLowerCase();
const when = (t) => (t ? new Date(t).toLocaleString() : "");

function showError(target, error) { $(target).textContent = error ? error.message : ""; }

// ---- sign in -----------------------------------------------------------------------------------

function takeTokenFromFragment() {
  // `assay dev` prints /console#token=…: the fragment never reaches a server; drop it at once.
  const match = location.hash.match(/^#token=(.+)$/);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname);
  }
}

function claims() {
  try { return JSON.parse(atob(token().split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))); } catch { return null; }
}

async function signIn(value) {
  sessionStorage.setItem(TOKEN_KEY, value.trim());
  try {
    state.analyzers = (await api("/v1/analyzers")).analyzers;
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    throw error;
  }
  const who = claims();
  $("#who").textContent = who ? `tenant ${who.tenant} · ${who.sub}` : "";
  $("#sign-in").hidden = true;
  $("#workspace").hidden = false;
  $("#sign-out").hidden = false;
  fillAnalyzers();
  await loadJobs();
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  for (const stream of state.streams.values()) stream.close();
  location.reload();
}

// ---- params form from the analyzer's JSON Schema -----------------------------------------------

function fillAnalyzers() {
  const select = $("#analyzer");
  const filter = $("#filter-analyzer");
  select.replaceChildren(...state.analyzers.map((a) => el("option", { value: a.name }, a.name)));
  filter.replaceChildren(el("option", { value: "" }, "any"), ...state.analyzers.map((a) => el("option", { value: a.name }, a.name)));
  renderParams();
}

function selectedAnalyzer() { return state.analyzers.find((a) => a.name === $("#analyzer").value); }

function renderParams() {
  const analyzer = selectedAnalyzer();
  const box = $("#params");
  box.replaceChildren(el("legend", {}, "Parameters"));
  if (!analyzer) return;
  $("#analyzer-help").textContent = analyzer.description || "";
  const schema = analyzer.params_schema || { properties: {} };
  box.append(...fieldsFor(schema, "params"));
  if (box.children.length === 1) box.append(el("p", { class: "hint" }, "This analyzer takes no parameters."));
}

function fieldsFor(schema, path) {
  const required = new Set(schema.required || []);
  const order = schema["x-order"] || Object.keys(schema.properties || {});
  return order.map((name) => fieldFor(name, schema.properties[name], `${path}.${name}`, required.has(name)));
}

function typeOf(schema) {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  return schema.enum ? "enum" : type;
}

function fieldFor(name, schema, path, required) {
  const id = path.replaceAll(".", "-");
  const label = el("label", { for: id }, name.replaceAll("_", " "), required ? " *" : "");
  const kind = typeOf(schema);
  let input;
  if (kind === "object") {
    return el("fieldset", { "data-path": path, "data-kind": "object" }, el("legend", {}, name), ...fieldsFor(schema, path));
  } else if (kind === "enum") {
    input = el("select", { id, "data-path": path, "data-kind": "enum", required },
      el("option", { value: "" }, "—"), ...schema.enum.map((v) => el("option", { value: v }, v)));
  } else if (kind === "boolean") {
    input = el("input", { id, type: "checkbox", "data-path": path, "data-kind": "boolean" });
  } else if (kind === "integer" || kind === "number") {
    input = el("input", { id, type: "number", step: kind === "integer" ? "1" : "any", "data-path": path, "data-kind": kind, required });
  } else if (kind === "array") {
    const itemKind = typeOf(schema.items || {});
    input = itemKind === "object"
      ? el("textarea", { id, rows: 2, "data-path": path, "data-kind": "json", placeholder: "JSON array" })
      : el("input", { id, "data-path": path, "data-kind": "list", placeholder: "comma-separated" });
  } else {
    const secret = /password|secret/.test(name);
    input = el("input", { id, type: secret ? "password" : "text", autocomplete: "off", "data-path": path, "data-kind": "string", required });
  }
  return el("div", { class: "field" }, label, input);
}

function collectParams() {
  const params = {};
  for (const input of document.querySelectorAll("#params [data-path]:not(fieldset)")) {
    let value;
    switch (input.dataset.kind) {
      case "boolean": value = input.checked || undefined; break;
      case "integer": value = input.value === "" ? undefined : parseInt(input.value, 10); break;
      case "number": value = input.value === "" ? undefined : Number(input.value); break;
      case "list": value = input.value.trim() ? input.value.split(",").map((v) => v.trim()).filter(Boolean) : undefined; break;
      case "json": value = input.value.trim() ? JSON.parse(input.value) : undefined; break;
      default: value = input.value === "" ? undefined : input.value;
    }
    if (value === undefined) continue;
    const keys = input.dataset.path.split(".").slice(1);
    let target = params;
    for (const key of keys.slice(0, -1)) target = target[key] ??= {};
    target[keys.at(-1)] = value;
  }
  return params;
}

async function submitJob(event) {
  event.preventDefault();
  showError("#submit-error", null);
  const analyzer = $("#analyzer").value;
  const params = { [analyzer]: collectParams() };
  const file = $("#file").files[0];
  const progress = $("#upload-progress");
  try {
    let job;
    if (file) {
      const form = new FormData();
      form.append("analyzer", analyzer);
      form.append("params", JSON.stringify(params));
      form.append("file", file, file.name);
      progress.hidden = false;
      progress.value = 0;
      job = await upload(form, (percent) => { progress.value = percent; });
    } else {
      job = await api("/v1/jobs", { method: "POST", json: { analyzer, params, inputs: { text: $("#text").value } } });
    }
    $("#file").value = "";
    await loadJobs(0);
    await openJob(job.id);
  } catch (error) {
    showError("#submit-error", error);
  } finally {
    progress.hidden = true;
  }
}

function wireDrop() {
  const drop = $("#drop");
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    if (event.dataTransfer.files.length) $("#file").files = event.dataTransfer.files;
  });
  drop.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") $("#file").click(); });
}

// ---- live events over SSE with a stream ticket -------------------------------------------------

async function follow(jobId, onJob) {
  // EventSource cannot send Authorization: ask for a ticket, then open the stream with it.
  const { events_url: url } = await api(`/v1/jobs/${encodeURIComponent(jobId)}/events:ticket`, { method: "POST" });
  const source = new EventSource(url);
  source.addEventListener("job", (event) => onJob(JSON.parse(event.data)));
  source.addEventListener("end", () => source.close()); // finished: no reconnection
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) source.close();
  });
  return source;
}

// ---- job list (BASIC view) ---------------------------------------------------------------------

async function loadJobs(page = state.page) {
  state.page = page;
  const query = new URLSearchParams({ view: "BASIC", page_size: PAGE_SIZE, page_token: state.pageTokens[page] || "" });
  if ($("#filter-state").value) query.set("state", $("#filter-state").value);
  if ($("#filter-analyzer").value) query.set("analyzer", $("#filter-analyzer").value);
  const listing = await api(`/v1/jobs?${query}`);
  state.pageTokens[page + 1] = listing.next_page_token;
  $("#next-page").disabled = !listing.next_page_token;
  $("#job-table tbody").replaceChildren(...listing.jobs.map(jobRow));
  followActive(listing.jobs);
}

function jobRow(job) {
  return el("tr", { id: `row-${job.id}` },
    el("td", {}, el("a", { href: `#job-${job.id}`, onclick: (e) => { e.preventDefault(); openJob(job.id); } }, job.id.slice(0, 8))),
    el("td", {}, job.analyzer),
    el("td", { class: `state ${shortState(job.state)}` }, shortState(job.state)),
    el("td", {}, el("progress", { max: 100, value: job.progress, "aria-label": `progress of ${job.id}` })),
    el("td", {}, when(job.create_time)));
}

function followActive(jobs) {
  for (const [id, stream] of state.streams) { stream.close(); state.streams.delete(id); }
  const active = jobs.filter((j) => ["STATE_QUEUED", "STATE_RUNNING", "STATE_WAITING"].includes(j.state)).slice(0, LIVE_STREAMS);
  for (const job of active) {
    follow(job.id, (update) => {
      const row = document.getElementById(`row-${update.id}`);
      if (row) row.replaceWith(jobRow(update));
    }).then((stream) => state.streams.set(job.id, stream)).catch(() => {});
  }
}

// ---- one job -----------------------------------------------------------------------------------

async function openJob(jobId) {
  showError("#job-error", null);
  $("#job").hidden = false;
  $("#result").replaceChildren();
  $("#trace").replaceChildren();
  if (state.currentStream) state.currentStream.close();
  let job;
  try {
    job = await api(`/v1/jobs/${encodeURIComponent(jobId)}`);
  } catch (error) {
    $("#job-title").textContent = "Job";
    $("#job-facts").replaceChildren();
    $("#job-state").textContent = "";
    showError("#job-error", error.status === 404 ? new Error(`job ${jobId} not found`) : error);
    return;
  }
  showJob(job);
  if (!isFinished(job)) state.currentStream = await follow(job.id, showJob);
}

const isFinished = (job) => ["STATE_SUCCEEDED", "STATE_FAILED", "STATE_CANCELLED"].includes(job.state);

function showJob(job) {
  const first = state.current?.id !== job.id;
  state.current = job;
  $("#job-title").textContent = `Job ${job.id}`;
  $("#job-facts").replaceChildren(
    ...[["analyzer", job.analyzer], ["created", when(job.create_time)], ["attempt", `${job.attempt} of ${job.max_attempts}`],
      ["trace", job.trace_id]].flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  $("#job-progress").value = job.progress;
  $("#job-state").textContent = shortState(job.state) + (job.cancel_requested && !isFinished(job) ? " (cancel requested)" : "");
  $("#job-state").className = `state ${shortState(job.state)}`;
  $("#job-error").textContent = job.error?.code ? `${job.error.code}: ${job.error.message}` : "";
  $("#cancel").disabled = isFinished(job);
  $("#retry").disabled = job.state !== "STATE_FAILED";
  const row = document.getElementById(`row-${job.id}`);
  if (row) row.replaceWith(jobRow(job));
  if (isFinished(job) && (first || !$("#result").dataset.job || $("#result").dataset.job !== job.id)) showResult(job);
}

async function showResult(job) {
  const box = $("#result");
  box.dataset.job = job.id;
  if (job.state !== "STATE_SUCCEEDED") { box.replaceChildren(); return; }
  const view = await api(`/v1/jobs/${encodeURIComponent(job.id)}/result`);
  const result = view.result || {};
  const [kind] = Object.keys(result);
  const renderers = { sentiment: sentimentView, contract_review: contractView };
  const body = (renderers[kind] || genericView)(result[kind] || {}, job);
  box.replaceChildren(el("h3", {}, "Result"), body, artifactsView(view.artifacts || []));
}

function artifactsView(artifacts) {
  if (!artifacts.length) return el("p", { class: "hint" }, "No files.");
  return el("ul", { class: "artifacts" }, artifacts.map((a) => el("li", {},
    a.deleted ? `${a.name} (deleted)` : el("a", { href: a.download_url, rel: "noopener" }, a.name), ` ${a.media_type}`)));
}

// sentiment: label distribution chart and a sortable table, most negative first
function sentimentView(result) {
  const stats = result.statistics || {};
  const counts = stats.label_counts || [];
  const chart = el("div", { class: "chart", role: "img", "aria-label": "label distribution" }, counts.map((c) => {
    const label = shortEnum(c.label, "SENTIMENT_LABEL_");
    return el("div", { class: "bar-row" }, el("span", {}, label),
      el("span", { class: `bar ${label}`, style: `width:${Math.max(c.percentage, 1)}%` }), el("span", {}, `${c.count} (${c.percentage.toFixed(1)}%)`));
  }));
  const items = (result.items || []).filter((i) => !i.skip_reason);
  const columns = [["row", (i) => i.row], ["label", (i) => shortEnum(i.label, "SENTIMENT_LABEL_")],
    ["compound", (i) => i.scores?.compound ?? 0], ["confidence", (i) => Math.max(i.scores?.positive ?? 0, i.scores?.negative ?? 0, i.scores?.neutral ?? 0)]];
  let sortBy = 2; let ascending = true; // most negative first
  const table = el("table", { class: "sortable" });
  const draw = () => {
    const sorted = [...items].sort((a, b) => (columns[sortBy][1](a) > columns[sortBy][1](b) ? 1 : -1) * (ascending ? 1 : -1));
    table.replaceChildren(
      el("thead", {}, el("tr", {}, columns.map(([name], index) => el("th", { scope: "col", "aria-sort": index === sortBy ? (ascending ? "ascending" : "descending") : "none" },
        el("button", { type: "button", onclick: () => { ascending = sortBy === index ? !ascending : true; sortBy = index; draw(); } }, name))))),
      el("tbody", {}, sorted.map((item) => el("tr", {}, columns.map(([name, get]) => {
        const value = get(item);
        return el("td", {}, typeof value === "number" && name !== "row" ? value.toFixed(3) : String(value));
      })))));
  };
  draw();
  return el("div", { class: "sentiment" }, el("p", {}, `${stats.rows_scored} of ${stats.rows_total} rows scored`), chart, table);
}

// contract review: the document with evidence highlighted in place, requirements with status colours
function contractView(result, job) {
  const text = job.inputs?.text || "";
  const doc = el("div", { class: "document", tabindex: "0", "aria-label": "document" });
  const findings = [...(result.requirements || []).map((r) => ({ ...r, kind: "requirement" })),
    ...(result.risks || []).map((r) => ({ ...r, evidence: r.evidence ? [r.evidence] : [], kind: "risk" }))];
  const marks = [];
  findings.forEach((finding, index) => {
    for (const evidence of finding.evidence || []) {
      const excerpt = (evidence.excerpt || "").trim();
      const at = excerpt ? text.indexOf(excerpt) : -1;
      if (at >= 0) marks.push({ at, end: at + excerpt.length, index });
    }
  });
  marks.sort((a, b) => a.at - b.at);
  let cursor = 0;
  const parts = [];
  for (const mark of marks) {
    if (mark.at < cursor) continue;
    parts.push(text.slice(cursor, mark.at), el("mark", { id: `evidence-${mark.index}`, class: statusClass(findings[mark.index]) }, text.slice(mark.at, mark.end)));
    cursor = mark.end;
  }
  parts.push(text.slice(cursor));
  if (text) doc.append(...parts);
  else doc.append(...findings.flatMap((f, index) => (f.evidence || []).map((e) => el("blockquote", { id: `evidence-${index}`, class: statusClass(f) }, e.excerpt, el("cite", {}, ` page ${e.page}`)))));
  const list = el("ol", { class: "findings" }, findings.map((finding, index) => el("li", { class: statusClass(finding) },
    el("button", { type: "button", onclick: () => document.getElementById(`evidence-${index}`)?.scrollIntoView({ behavior: "smooth", block: "center" }) },
      `${finding.kind === "risk" ? "risk: " : ""}${finding.title}`),
    el("span", { class: "badge" }, finding.kind === "risk" ? shortEnum(finding.severity, "CONTRACT_SEVERITY_") : shortEnum(finding.status, "STATUS_")),
    el("p", { class: "hint" }, finding.explanation || finding.recommendation || ""))));
  return el("div", { class: "contract" }, el("p", {}, result.summary || ""), el("div", { class: "side-by-side" }, doc, list));
}

function statusClass(finding) {
  if (finding.kind === "risk") return `risk ${shortEnum(finding.severity, "CONTRACT_SEVERITY_")}`;
  return `status ${shortEnum(finding.status, "STATUS_").replaceAll(" ", "-")}`;
}

// anything else (financial statements, bank statements, comparisons, …): every array of records
// as a table (nested ones too, a few levels down), and the whole result as JSON
const TABLE_ROWS = 200;

function genericView(result) {
  const box = el("div", { class: "generic" });
  recordTables(box, result, "", 0);
  box.append(el("details", {}, el("summary", {}, "JSON"), el("pre", {}, JSON.stringify(result, null, 2))));
  return box;
}

function recordTables(box, value, path, depth) {
  if (depth > 3 || value === null || typeof value !== "object") return;
  for (const [name, inner] of Object.entries(value)) {
    const where = path ? `${path}.${name}` : name;
    if (Array.isArray(inner) && inner.length && typeof inner[0] === "object" && inner[0] !== null) {
      box.append(recordTable(where, inner));
      inner.slice(0, 20).forEach((item, index) => recordTables(box, item, `${where}[${index}]`, depth + 1));
    } else if (inner && typeof inner === "object" && !Array.isArray(inner)) {
      recordTables(box, inner, where, depth + 1);
    }
  }
}

function recordTable(title, rows) {
  const columns = [...new Set(rows.slice(0, 50).flatMap((row) => Object.keys(row).filter((k) => typeof row[k] !== "object")))];
  const caption = rows.length > TABLE_ROWS ? `${title} (first ${TABLE_ROWS} of ${rows.length})` : title;
  return el("table", { class: "records" }, el("caption", {}, caption),
    el("thead", {}, el("tr", {}, columns.map((c) => el("th", { scope: "col" }, c)))),
    el("tbody", {}, rows.slice(0, TABLE_ROWS).map((row) => el("tr", {}, columns.map((c) => el("td", {}, String(row[c] ?? "")))))));
}

// ---- trace waterfall ---------------------------------------------------------------------------

async function showTrace() {
  const box = $("#trace");
  box.replaceChildren(el("h3", {}, "Trace"));
  let trace;
  try {
    trace = await api(`/v1/jobs/${encodeURIComponent(state.current.id)}/trace`);
  } catch (error) {
    box.append(el("p", { class: "error" }, error.message));
    return;
  }
  const spans = trace.spans;
  const total = Math.max(...spans.map((s) => s.offset_ms + s.duration_ms), 1);
  const services = [...new Set(spans.map((s) => s.service))];
  const depth = new Map();
  const byId = new Map(spans.map((s) => [s.span_id, s]));
  const level = (s) => { if (depth.has(s.span_id)) return depth.get(s.span_id); const p = byId.get(s.parent_id); const d = p ? level(p) + 1 : 0; depth.set(s.span_id, d); return d; };
  box.append(el("p", { class: "hint" }, `${spans.length} spans, ${total.toFixed(1)} ms`),
    el("div", { class: "waterfall", role: "list" }, spans.map((span) => el("div", { class: "span-row", role: "listitem" },
      el("span", { class: "span-name", style: `padding-left:${level(span)}em` }, `${span.service}: ${span.name}`),
      el("span", { class: "track" }, el("span", {
        class: `span-bar service-${services.indexOf(span.service) % 6}${span.status === "ERROR" ? " error" : ""}`,
        style: `left:${100 * span.offset_ms / total}%;width:${Math.max(100 * span.duration_ms / total, 0.3)}%`,
        title: `${span.name} ${span.duration_ms} ms ${span.status} ${span.status_message}`,
      })),
      el("span", { class: "span-ms" }, `${span.duration_ms.toFixed(1)} ms`)))));
}

// ---- actions -----------------------------------------------------------------------------------

async function act(path, method = "POST") {
  showError("#job-error", null);
  try {
    const job = await api(path, { method });
    if (job && job.id) showJob(job);
    await loadJobs();
  } catch (error) {
    showError("#job-error", error);
  }
}

async function deleteInputs() {
  const job = await api(`/v1/jobs/${encodeURIComponent(state.current.id)}`);
  for (const fileId of job.inputs?.file_ids || []) await act(`/v1/files/${encodeURIComponent(fileId)}`, "DELETE");
}

// ---- start -------------------------------------------------------------------------------------

function wire() {
  $("#sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    showError("#sign-in-error", null);
    try { await signIn($("#token").value); } catch (error) { showError("#sign-in-error", error); }
  });
  $("#sign-out").addEventListener("click", signOut);
  $("#analyzer").addEventListener("change", renderParams);
  $("#submit-form").addEventListener("submit", submitJob);
  $("#filters").addEventListener("submit", (event) => { event.preventDefault(); state.pageTokens = [""]; loadJobs(0); });
  $("#first-page").addEventListener("click", () => loadJobs(0));
  $("#next-page").addEventListener("click", () => loadJobs(state.page + 1));
  $("#open-form").addEventListener("submit", (event) => { event.preventDefault(); openJob($("#open-id").value.trim()); });
  $("#cancel").addEventListener("click", () => act(`/v1/jobs/${encodeURIComponent(state.current.id)}:cancel`));
  $("#retry").addEventListener("click", () => act(`/v1/jobs/${encodeURIComponent(state.current.id)}:retry`));
  $("#delete-inputs").addEventListener("click", deleteInputs);
  $("#show-trace").addEventListener("click", showTrace);
  wireDrop();
}

wire();
takeTokenFromFragment();
if (token()) signIn(token()).catch((error) => showError("#sign-in-error", error));
