// The studio page: everything goes through the JSON API. The studio's token travels as an
// HttpOnly cookie the browser sends with every request to this address; the page never sees it.
"use strict";
const $ = (id) => document.getElementById(id);
const state = { ep: null, data: null, current: 0, conflict: null, polling: null, relexed: new Set() };

function say(text) { $("status").textContent = text; }

async function api(method, url, body) {
  const opts = { method, headers: {}, credentials: "same-origin" };
  if (method !== "GET") {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body || {});
  }
  const r = await fetch(url, opts);
  const type = r.headers.get("content-type") || "";
  const data = type.includes("json") ? await r.json() : await r.text();
  if (r.status === 409 && data && data.theirs !== undefined) { return { conflict: data }; }
  if (!r.ok) { throw new Error(typeof data === "string" ? data.trim() : JSON.stringify(data)); }
  return data;
}

function run(fn) {
  return async (...args) => {
    try { await fn(...args); } catch (e) { say(e.message); }
  };
}

function q(params) { return new URLSearchParams({ ep: state.ep, ...params }).toString(); }

function sentences() { return state.data.chapters.flatMap((c) => c.sentences); }

function sentenceRow(s) {
  const row = document.createElement("div");
  row.className = "row" + (s.score && s.score.flagged ? " flagged" : "") + (s.index === state.current ? " current" : "");
  row.dataset.index = s.index;
  const score = document.createElement("span");
  score.className = "score";
  score.textContent = s.score ? "score " + s.score.score.toFixed(2) : "";
  if (s.score) score.title = (s.score.weakest.length ? "weakest: " + s.score.weakest.join(", ") + "; " : "") + "heard: " + s.score.heard;
  const btn = document.createElement("button");
  btn.type = "button";
  btn.className = "s";
  btn.textContent = s.written;
  btn.setAttribute("aria-label", `Play sentence ${s.index}: ${s.written}` + (state.speakers > 1 ? ` (${s.speaker})` : ""));
  btn.addEventListener("click", run(() => select(s.index, true)));
  row.append(score);
  if (state.speakers > 1) {
    const who = document.createElement("span");
    who.className = "speaker";
    who.textContent = s.speaker;
    row.append(who);
  }
  row.append(btn);
  const marks = [];
  if (state.relexed.has(s.index)) marks.push("new reading: render to hear it in the episode");
  else if (!s.cached) marks.push("to be synthesised");
  if (s.take) marks.push(`take ${s.take}`);
  if (!s.editable) marks.push("edit in the script");
  if (marks.length) {
    const m = document.createElement("span");
    m.className = "mark";
    m.textContent = marks.join(", ");
    row.append(m);
  }
  return row;
}

function draw() {
  const d = state.data;
  state.speakers = new Set(sentences().map((s) => s.speaker)).size;
  $("title").textContent = d.title;
  document.title = d.title + " - PaperLedge studio";
  $("about").textContent = `${d.script}, read by ${d.voice}`;
  $("render-check").hidden = !d.check;
  $("render").title = d.checked ? "Rendering again removes this episode's check and review page; check again afterwards" : "";
  $("approved").textContent = d.approved ? "Approved" : "";
  $("credentials").textContent = d.credentials ? (d.credentials.ok ? "Signed" : "Not signed") : "";
  $("credentials").title = d.credentials ? d.credentials.line : "";
  const box = $("sentences");
  box.replaceChildren();
  for (const c of d.chapters) {
    const sec = document.createElement("section");
    sec.className = "chapter";
    const h = document.createElement("h2");
    h.textContent = c.title;
    sec.append(h, ...c.sentences.map(sentenceRow));
    box.append(sec);
  }
  const chapters = $("chapters");
  chapters.replaceChildren(...d.marks.map((m) => {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = m.title;
    b.setAttribute("aria-label", `Play chapter ${m.title}`);
    b.addEventListener("click", () => { $("player").currentTime = m.start; $("player").play().catch(() => {}); });
    li.append(b);
    return li;
  }));
  const src = d.mp3 ? `/audio/episode.mp3?${q({ v: d.mp3_version })}` : "";
  if (src && $("player").dataset.src !== src) { $("player").src = src; $("player").dataset.src = src; }
  $("plot-box").hidden = !d.mp3;
  if (d.mp3 && $("plot-box").dataset.v !== String(d.mp3_version)) {
    $("plot-box").dataset.v = String(d.mp3_version);
    api("GET", `/api/plot?${q({ v: d.mp3_version })}`).then((svg) => { $("plot-box").innerHTML = svg; }).catch((e) => say(e.message));
  }
  $("approve").disabled = !d.mp3;
  $("word-voice").disabled = !d.lexicons.voice;
  $("word-show").disabled = !d.lexicons.show;
}

async function load() {
  state.data = await api("GET", `/api/episode?${q({})}`);
  draw();
  if (state.current) await select(state.current, false);
}

function play(url) {
  const clip = $("clip");
  clip.src = url;
  return clip.play().catch(() => {});
}

async function select(index, andPlay) {
  const s = sentences().find((x) => x.index === index);
  if (!s) { state.current = 0; $("detail").hidden = true; return; }
  state.current = index;
  for (const row of document.querySelectorAll(".row")) row.classList.toggle("current", Number(row.dataset.index) === index);
  $("detail").hidden = false;
  $("detail-title").textContent = `Sentence ${index}`;
  $("edit-text").value = s.markup;
  $("edit-text").readOnly = !s.editable;  // still there to select a word in
  $("save").disabled = !s.editable;
  $("spoken").textContent = s.spoken;
  $("rules").textContent = s.rules.join(", ") || "none";
  $("takes").replaceChildren();
  if (andPlay) await play(`/audio/sentence.wav?${q({ i: index, take: s.take })}`);
}

async function preview() {
  const r = await api("POST", "/api/preview", { ep: state.ep, i: state.current, text: $("edit-text").value });
  $("spoken").textContent = r.spoken;
  $("rules").textContent = r.rules.join(", ") || "none";
  say(`Preview of sentence ${state.current} (not saved)`);
  await play(`/audio/entry/${r.audio}.wav`);
}

function showConflict(c, retry) {
  state.conflict = retry;
  $("conflict-what").textContent = `${c.file} changed on disk since this page loaded it. Nothing was written. Keep the file as it is now, or save yours over it?`;
  $("theirs").textContent = c.theirs;
  $("mine").textContent = c.mine;
  $("conflict").showModal();
  say(`${c.file} changed on disk; nothing was written`);
}

async function saveSentence(sha) {
  const i = state.current;
  const r = await api("POST", "/api/save-sentence", { ep: state.ep, i, text: $("edit-text").value, sha: sha || state.data.script_sha });
  if (r.conflict) { showConflict(r.conflict, (newSha) => saveSentence(newSha)); return; }
  say(`Sentence ${i} saved to ${state.data.script}`);
  await load();
}

function selectedWord() {
  const t = $("edit-text");
  const word = t.value.slice(t.selectionStart, t.selectionEnd).trim();
  if (word && !/\s/.test(word)) $("word").value = word.replace(/^[^\w]+|[^\w]+$/g, "");
}

async function previewWord() {
  const r = await api("POST", "/api/preview-word", { ep: state.ep, i: state.current, word: $("word").value, spoken: $("say-as").value });
  $("spoken").textContent = r.spoken;
  $("rules").textContent = r.rules.join(", ") || "none";
  say(`Preview of "${$("word").value}" as "${$("say-as").value}" (not saved)`);
  await play(`/audio/entry/${r.audio}.wav`);
}

async function saveWord(where, sha) {
  const lex = state.data.lexicons[where];
  const r = await api("POST", "/api/save-word", { ep: state.ep, word: $("word").value, spoken: $("say-as").value, where, sha: sha === undefined ? lex.sha : sha });
  if (r.conflict) { showConflict(r.conflict, (newSha) => saveWord(where, newSha)); return; }
  r.changed.forEach((i) => state.relexed.add(i));
  const marked = r.changed.length ? `; sentences ${r.changed.join(", ")} marked for re-synthesis` : "";
  say(`"${$("word").value}" saved to ${lex.name}${marked}`);
  await load();
}

async function moreTakes() {
  say("Making takes...");
  const shown = $("takes").children.length;  // each press makes one more, from two, up to four
  const rows = await api("POST", "/api/takes", { ep: state.ep, i: state.current, count: shown ? Math.min(4, shown) : 2, score: state.data.check });
  const list = $("takes");
  list.replaceChildren(...rows.map((t) => {
    const li = document.createElement("li");
    const hear = document.createElement("button");
    hear.type = "button";
    hear.textContent = `Play take ${t.take}`;
    hear.addEventListener("click", () => play(`/audio/entry/${t.audio}.wav`));
    const choose = document.createElement("button");
    choose.type = "button";
    choose.className = "choose";
    choose.textContent = `Choose take ${t.take}`;
    choose.setAttribute("aria-pressed", String(t.chosen));
    choose.addEventListener("click", run(async () => {
      await api("POST", "/api/choose-take", { ep: state.ep, i: state.current, take: t.take });
      say(`Take ${t.take} chosen for sentence ${state.current}; render to hear it in the episode`);
      for (const b of list.querySelectorAll(".choose")) b.setAttribute("aria-pressed", String(b === choose));
      await load();
    }));
    const score = document.createElement("span");
    score.textContent = t.error === undefined ? "" : ` ${(100 * t.error).toFixed(0)}% off`;
    if (t.heard !== undefined) score.title = `heard: ${t.heard}`;
    li.append(hear, " ", choose, score);
    return li;
  }));
  say(`${rows.length} takes of sentence ${state.current}`);
}

const RERENDER_WARNING = "Rendering again removes this episode's check and review page; check again afterwards.";

async function render(check) {
  if (!check && state.data.checked && !window.confirm(`${RERENDER_WARNING}\n\nRender now?`)) {
    say("Not rendered; the check and review page are kept");
    return;
  }
  const r = await api("POST", "/api/render", { ep: state.ep, check });
  watch(r);
}

function watch(job) {
  const bar = $("progress");
  bar.hidden = false;
  $("render").disabled = $("render-check").disabled = true;
  const tick = run(async () => {
    const j = await api("GET", "/api/job");
    bar.max = j.total || 1;
    bar.value = j.done;
    say(`${j.kind}: ${j.message}`);
    if (j.state === "running") { state.polling = setTimeout(tick, 400); return; }
    bar.hidden = true;
    $("render").disabled = $("render-check").disabled = false;
    if (j.state === "done") { state.relexed.clear(); await load(); $("player").load(); }
    document.body.dataset.job = j.state;
  });
  say(`${job.kind}: starting`);
  tick();
}

async function approve() {
  const r = await api("POST", "/api/approve", { ep: state.ep });
  say(`Approved: ${r.mp3} (SHA-256 ${r.sha256.slice(0, 12)}...)`);
  await load();
}

function followPlayer() {
  const player = $("player");
  player.addEventListener("timeupdate", () => {
    const cursor = document.querySelector("#plot-box #cursor");
    if (!cursor || !player.duration) return;
    const x = (player.currentTime / player.duration * 1000).toFixed(1);
    cursor.setAttribute("x1", x);
    cursor.setAttribute("x2", x);
  });
  $("plot-box").addEventListener("click", (e) => {
    const r = $("plot-box").getBoundingClientRect();
    if (player.duration) { player.currentTime = (e.clientX - r.left) / r.width * player.duration; player.play().catch(() => {}); }
  });
}

async function start() {
  followPlayer();
  const eps = await api("GET", "/api/episodes");
  const pick = $("episode");
  pick.replaceChildren(...eps.map((e) => new Option(e.name, e.id)));
  $("episode-pick").hidden = eps.length < 2;
  const wanted = new URLSearchParams(location.search).get("ep");
  state.ep = eps.some((e) => e.id === wanted) ? wanted : eps[0].id;
  pick.value = state.ep;
  pick.addEventListener("change", run(async () => { state.ep = pick.value; state.current = 0; state.relexed.clear(); $("detail").hidden = true; await load(); }));
  $("preview").addEventListener("click", run(preview));
  $("save").addEventListener("click", run(() => saveSentence()));
  $("revert").addEventListener("click", run(() => select(state.current, false)));
  $("edit-text").addEventListener("select", selectedWord);
  $("edit-text").addEventListener("mouseup", selectedWord);
  $("edit-text").addEventListener("keyup", selectedWord);
  $("word-preview").addEventListener("click", run(previewWord));
  $("word-show").addEventListener("click", run(() => saveWord("show")));
  $("word-voice").addEventListener("click", run(() => saveWord("voice")));
  $("more-takes").addEventListener("click", run(moreTakes));
  $("render").addEventListener("click", run(() => render(false)));
  $("render-check").addEventListener("click", run(() => render(true)));
  $("approve").addEventListener("click", run(approve));
  $("keep-theirs").addEventListener("click", run(async () => { $("conflict").close(); say("Kept the file on disk; reloaded"); await load(); }));
  $("use-mine").addEventListener("click", run(async () => {
    $("conflict").close();
    const retry = state.conflict;
    state.conflict = null;
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode($("theirs").textContent));
    await retry([...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join(""));
  }));
  await load();
  document.body.dataset.ready = "1";
}

document.addEventListener("DOMContentLoaded", run(start));
