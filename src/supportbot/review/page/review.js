// supportbot review page: plain JS, no framework, nothing fetched from outside this server.
"use strict";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const reviewer = params.get("reviewer") || "";
let current = null; // the item shown

function headers() {
  const h = { "Content-Type": "application/json" };
  const key = sessionStorage.getItem("supportbot-key");
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

async function api(path, body) {
  const sep = path.includes("?") ? "&" : "?";
  const url = reviewer ? `${path}${sep}reviewer_name=${encodeURIComponent(reviewer)}` : path;
  const res = await fetch(url, body ? { method: "POST", headers: headers(), body: JSON.stringify(body) } : { headers: headers() });
  if (res.status === 401) {
    $("key-form").hidden = false;
    throw new Error("this server needs an API key");
  }
  const data = await res.json();
  if (!res.ok) throw new Error((data.error && data.error.message) || data.detail || res.statusText);
  return data;
}

function showError(err) {
  $("error").textContent = String(err.message || err);
  $("error").hidden = false;
}

function text(el, value) {
  el.textContent = value == null || value === "" ? "–" : value;
}

function progress(state) {
  const at = current ? ` · item ${current.index + 1} of ${state.total}` : "";
  $("progress").textContent = `${state.done} of ${state.total} labelled${at} · reviewer ${state.reviewer}`;
  $("eval-id").textContent = state.eval_id;
}

async function show(index) {
  const item = await api(`/api/items/${index}`);
  current = item;
  $("item").hidden = false;
  $("finished").hidden = true;
  text($("item-id"), item.id);
  text($("question"), item.question);
  text($("reference"), item.reference);
  text($("answer-a"), item.answer_a);
  text($("answer-b"), item.answer_b);
  const kb = $("kb");
  kb.replaceChildren();
  for (const a of item.kb) {
    const h = document.createElement("h4");
    h.textContent = `${a.id}: ${a.title}`;
    const body = document.createElement("pre");
    body.textContent = a.body;
    kb.append(h, body);
  }
  if (!item.kb.length) kb.textContent = "–";
  const label = item.label || {};
  $("note").value = label.note || "";
  $("correction").value = label.correction || "";
  mark(label.choice);
  $("saved").textContent = item.label ? `saved: ${item.label.choice}` : "";
  progress(item);
  history.replaceState(null, "", `#${index}`);
}

function mark(choice) {
  for (const b of document.querySelectorAll("[data-choice]")) b.classList.toggle("picked", b.dataset.choice === choice);
  $("answer-a-box").classList.toggle("picked", choice === "A");
  $("answer-b-box").classList.toggle("picked", choice === "B");
}

async function choose(choice) {
  if (!current) return;
  const state = await api("/api/labels", {
    id: current.id,
    choice,
    note: $("note").value,
    correction: $("correction").value,
    ...(reviewer ? { reviewer } : {}),
  });
  mark(choice);
  $("saved").textContent = `saved: ${choice}`;
  const next = current.index + 1 < state.total ? current.index + 1 : state.next;
  if (next == null) {
    progress(state);
    $("item").hidden = true;
    $("finished").hidden = false;
    current = null;
    return;
  }
  await show(next);
}

function onKey(ev) {
  const inField = ev.target instanceof HTMLTextAreaElement || ev.target instanceof HTMLInputElement;
  if (inField) {
    if (ev.key === "Escape") ev.target.blur();
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      const picked = document.querySelector("[data-choice].picked");
      if (picked) choose(picked.dataset.choice).catch(showError);
    }
    return;
  }
  if (ev.ctrlKey || ev.metaKey || ev.altKey || !current) return;
  const choices = { a: "A", b: "B", t: "tie", x: "both_wrong", 1: "A", 2: "B" };
  const key = ev.key.toLowerCase();
  if (choices[key]) {
    ev.preventDefault();
    choose(choices[key]).catch(showError);
  } else if (key === "n" || key === "c") {
    ev.preventDefault();
    $(key === "n" ? "note" : "correction").focus();
  } else if (ev.key === "ArrowRight" && current.index + 1 < current.total) {
    show(current.index + 1).catch(showError);
  } else if (ev.key === "ArrowLeft" && current.index > 0) {
    show(current.index - 1).catch(showError);
  }
}

function cell(row, value, tag = "td") {
  const c = document.createElement(tag);
  c.textContent = value == null ? "" : String(value);
  row.append(c);
}

function table(el, header, rows) {
  el.replaceChildren();
  const head = document.createElement("tr");
  header.forEach((h) => cell(head, h, "th"));
  el.append(head);
  for (const r of rows) {
    const tr = document.createElement("tr");
    r.forEach((v) => cell(tr, v));
    el.append(tr);
  }
}

const pct = (v) => (v == null ? "–" : `${(100 * v).toFixed(1)}%`);

const kappaText = (k) => (k == null ? "n/a (one category only)" : k.toFixed(3));

// Reviewer vs reviewer on the items two of them rated: the ceiling for the judge's agreement.
function humans(b) {
  if (!b || !b.n) return "human vs human: no item rated by two reviewers yet";
  return `human vs human on ${b.n} shared: ${pct(b.raw)}, Cohen's kappa ${kappaText(b.kappa)}`;
}

async function report() {
  const data = await api("/api/report");
  const h = data.human;
  $("eval-id").textContent = data.eval_id;
  $("report").hidden = false;
  const ci = h.win_rate_ci95 ? ` (95% CI ${pct(h.win_rate_ci95[0])}–${pct(h.win_rate_ci95[1])})` : "";
  const lines = [
    `labels: ${h.n} on ${h.items} of ${h.of} items, by ${h.reviewers.join(", ") || "nobody yet"}`,
    `human win rate vs base: ${pct(h.win_rate)}${ci}`,
    `tuned ${h.counts.tuned} · base ${h.counts.base} · tie ${h.counts.tie} · both wrong ${h.counts.both_wrong}`,
    `judge agreement on ${h.agreement.n}: ${pct(h.agreement.raw)}, Cohen's kappa ${kappaText(h.agreement.kappa)}`,
    humans(h.between_reviewers),
  ];
  $("summary").replaceChildren(...lines.map((l) => Object.assign(document.createElement("li"), { textContent: l })));
  const judges = ["tuned", "base", "tie"];
  table($("confusion"), ["human \\ judge", ...judges], Object.entries(h.agreement.confusion).map(([k, row]) => [k, ...judges.map((j) => row[j])]));
  table($("disagreements"), ["id", "human", "judge", "reviewer", "note", "question"], h.disagreements.map((d) => [d.id, d.human, d.judge, d.reviewer, d.note, d.question]));
  table($("labels"), ["id", "winner", "reviewer", "note", "time"], data.labels.map((l) => [l.id, l.winner, l.reviewer, l.note, l.time]));
  if (location.pathname === "/disagreements") $("disagreements-title").scrollIntoView();
}

async function start() {
  $("key-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem("supportbot-key", $("key").value);
    location.reload();
  });
  if (document.body.dataset.page === "report") return report();
  document.addEventListener("keydown", onKey);
  for (const b of document.querySelectorAll("[data-choice]")) b.addEventListener("click", () => choose(b.dataset.choice).catch(showError));
  const state = await api("/api/state");
  progress(state);
  const fromHash = parseInt(location.hash.slice(1), 10);
  const index = Number.isInteger(fromHash) && fromHash >= 0 && fromHash < state.total ? fromHash : state.next;
  if (index == null) {
    $("finished").hidden = false;
    return;
  }
  await show(index);
}

start().catch(showError);
