// The studio's page: sends the prompt and its settings, shows each scene's still as the studio draws it
// (server-sent events), plays a scene's narrated video with its subtitles, lists the claims, and renders the
// lecture, deck and handout. Nothing here is loaded from elsewhere.
"use strict";

const FIELDS = ["prompt", "temperature", "top_k", "top_p", "seed", "generate", "model"];
const $ = (id) => document.getElementById(id);
const client = sessionStorage.getItem("gptanim-client") || randomId();
sessionStorage.setItem("gptanim-client", client);

let options = null;
let stillJob = null; // the stills job whose pictures the page shows
let trace = null; // the run those pictures are of (an id the studio gave)
let playing = null; // the scene whose video is asked for
let progressTimer = null;

function randomId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function say(text) { $("status").textContent = text; }

function showError(text) {
  $("error").textContent = text;
  $("error").hidden = !text;
}

function settings() {
  const chosen = {};
  for (const name of FIELDS) {
    const value = $(name).value;
    if (name === "prompt" || value !== "") chosen[name] = value;
  }
  return chosen;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ client, ...body }),
  });
  const answer = await response.json().catch(() => ({ error: `the studio answered ${response.status}` }));
  if (!response.ok) throw new Error(answer.error || `the studio answered ${response.status}`);
  return answer;
}

function figure(name) { return document.querySelector(`figure[data-name="${name}"]`); }

function layOut(scenes) {
  const holder = $("stills");
  holder.replaceChildren();
  let part = null;
  let grid = null;
  for (const scene of scenes) {
    if (!grid || scene.part !== part) {
      part = scene.part;
      if (part) {
        const heading = document.createElement("h2");
        heading.textContent = part;
        holder.append(heading);
      }
      grid = document.createElement("div");
      grid.className = "part";
      holder.append(grid);
    }
    const fig = document.createElement("figure");
    fig.dataset.name = scene.name;
    fig.tabIndex = 0;
    fig.title = `${scene.title}: click to watch it with its narration`;
    const frame = document.createElement("div");
    frame.className = "frame";
    frame.textContent = "waiting for a prompt";
    const caption = document.createElement("figcaption");
    caption.textContent = scene.title;
    if (scene.temperature) {
      const mark = document.createElement("span");
      mark.className = "t";
      mark.textContent = "shows the temperature";
      caption.append(mark);
    }
    fig.append(frame, caption);
    fig.addEventListener("click", () => play(scene.name, scene.title));
    fig.addEventListener("keydown", (e) => { if (e.key === "Enter") play(scene.name, scene.title); });
    grid.append(fig);
  }
}

function showStill(name, url) {
  const fig = figure(name);
  if (!fig) return;
  fig.classList.remove("stale");
  let img = fig.querySelector("img");
  if (!img) {
    img = document.createElement("img");
    img.alt = name;
    fig.querySelector(".frame").replaceWith(img);
  }
  if (img.getAttribute("src") !== url) img.src = url;
}

async function submit(event) {
  if (event) event.preventDefault();
  showError("");
  const chosen = settings();
  const link = new URLSearchParams(chosen);
  const token = new URLSearchParams(location.search).get("token");
  if (token) link.set("token", token); // a classroom's studio: the link to share opens it
  history.replaceState(null, "", `?${link}`);
  try {
    const answer = await post("/api/stills", { settings: chosen });
    say(answer.ahead ? `waiting: ${answer.ahead} request(s) before this one` : "running the model on the prompt…");
  } catch (error) {
    showError(error.message);
  }
}

async function play(name, title) {
  if (!trace) { showError("show the scenes of a prompt first"); return; }
  playing = name;
  document.querySelectorAll("figure.playing").forEach((f) => f.classList.remove("playing"));
  figure(name).classList.add("playing");
  $("player").hidden = false;
  $("player-title").textContent = title;
  $("player-status").textContent = "asking the studio…";
  try {
    const answer = await post("/api/video", { scene: name, trace, quality: $("quality").value, settings: settings() });
    if (answer.ahead) $("player-status").textContent = `waiting: ${answer.ahead} request(s) before this one`;
  } catch (error) {
    $("player-status").textContent = error.message;
  }
}

function progress(expected) {
  clearInterval(progressTimer);
  const started = performance.now();
  $("progress").hidden = false;
  progressTimer = setInterval(() => {
    const share = Math.min(0.95, (performance.now() - started) / 1000 / expected);
    $("progress-bar").style.width = `${(share * 100).toFixed(1)}%`;
  }, 250);
}

function showVideo(event) {
  clearInterval(progressTimer);
  $("progress").hidden = true;
  const video = $("video");
  video.querySelectorAll("track").forEach((t) => t.remove());
  const track = document.createElement("track");
  Object.assign(track, { kind: "subtitles", srclang: "en", label: "English", default: true, src: event.subtitles });
  video.append(track);
  video.src = event.url;
  $("player-status").textContent = `${event.quality}, narrated, with subtitles`;
  video.play().catch(() => {});
}

async function build(kind) {
  const item = document.createElement("li");
  item.dataset.kind = kind;
  item.textContent = `${kind}: asking the studio…`;
  $("downloads").append(item);
  try {
    const answer = await post("/api/build", { kind, quality: $("quality").value, settings: settings() });
    item.textContent = answer.ahead ? `${kind}: waiting, ${answer.ahead} request(s) before it` : `${kind}: rendering…`;
  } catch (error) {
    item.textContent = `${kind}: ${error.message}`;
  }
}

function buildItem(kind) {
  const items = [...document.querySelectorAll(`#downloads li[data-kind="${kind}"]`)];
  return items[items.length - 1];
}

async function showClaims(id) {
  const list = $("claims-list");
  try {
    const response = await fetch(`/api/claims/${id}`);
    const found = await response.json();
    if (!response.ok) throw new Error(found.error);
    list.replaceChildren(...found.map((claim) => {
      const item = document.createElement("li");
      const said = document.createElement("div");
      said.className = "said";
      said.textContent = claim.text;
      const key = document.createElement("div");
      key.className = "key";
      key.textContent = claim.key;
      const evidence = document.createElement("pre");
      evidence.textContent = claim.details.map((line) => line.trim()).join("\n");
      item.append(said, key, evidence);
      return item;
    }));
  } catch (error) {
    list.replaceChildren(Object.assign(document.createElement("li"), { textContent: error.message }));
  }
}

const handlers = {
  plan(event) {
    stillJob = event.job;
    trace = null;
    document.querySelectorAll("#builds button").forEach((b) => { b.disabled = true; });
    document.querySelectorAll("figure").forEach((f) => f.classList.add("stale"));
    say("running the model on the prompt…");
  },
  still(event) {
    if (event.job === stillJob) showStill(event.name, event.url);
  },
  done(event) {
    if (event.job !== stillJob) return;
    trace = event.trace;
    document.querySelectorAll("#builds button").forEach((b) => { b.disabled = false; });
    const drawn = event.drawn ? `${event.drawn} drawn now` : "all kept from before";
    say(`every scene in ${event.seconds} s (${drawn}); click one to watch it`);
    showClaims(event.trace);
  },
  queue(event) {
    const text = event.ahead ? `waiting: ${event.ahead} request(s) before this one` : "next";
    if (event.kind === "stills") say(text);
    else if (event.kind === "video") $("player-status").textContent = text;
  },
  log(event) {
    if (event.kind === "stills") say(event.text);
    else if (event.kind === "video") $("player-status").textContent = event.text;
    else { const item = buildItem(event.build); if (item) item.textContent = `${event.build}: ${event.text}`; }
  },
  error(event) {
    if (event.kind === "stills") { if (event.job === stillJob) { showError(event.text); say(""); } }
    else if (event.kind === "video") { clearInterval(progressTimer); $("player-status").textContent = event.text; }
    else { const item = buildItem(event.build); if (item) item.textContent = `${event.build}: ${event.text}`; }
  },
  rendering(event) {
    if (event.name !== playing) return;
    $("player-status").textContent = `rendering at ${event.quality}…`;
    progress(event.expected);
  },
  video(event) {
    if (event.name === playing) showVideo(event);
  },
  built(event) {
    const item = buildItem(event.kind);
    if (!item) return;
    item.replaceChildren(`${event.kind}: `);
    for (const file of event.files) {
      const link = Object.assign(document.createElement("a"), { href: file.url, textContent: file.name });
      link.setAttribute("download", file.name);
      item.append(link, " ");
    }
  },
};

async function start() {
  const response = await fetch("/api/options");
  options = await response.json();
  $("lecture-title").textContent = options.title;
  $("prompt").maxLength = options.max_prompt;
  for (const name of options.models) $("model").append(new Option(name, name));
  for (const [key, label] of Object.entries(options.qualities)) $("quality").append(new Option(label, key));
  $("quality").value = options.quality;
  for (const name of FIELDS) {
    const value = options.settings[name];
    $(name).value = value === null || value === undefined ? "" : value;
  }
  layOut(options.scenes);
  const events = new EventSource(`/events?client=${client}`);
  events.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (handlers[event.type]) handlers[event.type](event);
  };
  $("settings").addEventListener("submit", submit);
  for (const name of ["temperature", "top_k", "top_p", "seed", "generate", "model"]) {
    $(name).addEventListener("change", () => { if ($("prompt").value) submit(); });
  }
  document.querySelectorAll("#builds button").forEach((b) => b.addEventListener("click", () => build(b.dataset.build)));
  const link = new URLSearchParams(location.search);
  for (const name of FIELDS) if (link.has(name)) $(name).value = link.get(name);
  if (link.has("prompt")) submit();
}

start();
