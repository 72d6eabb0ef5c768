// The dashboard page: one event stream from this supervisor (/api/stream), a snapshot then deltas,
// rendered at most once per animation frame. Reconnects by itself and starts again from a snapshot.
"use strict";

const model = {
  npcs: new Map(), gates: new Map(), gateChanges: [], waves: [], lifecycle: [],
  governor: null, cluster: null, upper: null, snapshotAt: 0,
  sort: { key: "npc_id", direction: 1 }, page: 0, pageSize: 50,
};
const ScopeWindowMs = 60_000;
const $ = (id) => document.getElementById(id);
let renderQueued = false;

// A dropped stream the browser retries by itself; one refused (503 when the feed is full or busy, any answer
// that is not a stream) it closes for good, so the page tries again itself, as late as the 503's Retry-After
// says (an EventSource cannot read it; DashboardEndpoints.RetryAfterSeconds).
const RefusedRetryMs = 5_000;

function connect() {
  const stream = new EventSource("/api/stream");
  stream.onopen = () => setConnection("live");
  stream.onerror = () => {
    setConnection("reconnecting");
    if (stream.readyState === EventSource.CLOSED) setTimeout(connect, RefusedRetryMs);
  };
  stream.onmessage = (event) => {
    apply(JSON.parse(event.data));
    queueRender();
  };
}

function setConnection(state) {
  document.documentElement.dataset.connection = state;
  $("connection").textContent = state;
}

function apply(frame) {
  const at = Date.parse(frame.at);
  const isSnapshot = frame.type === "snapshot";
  if (isSnapshot) {
    model.npcs.clear();
    model.gates.clear();
    model.gateChanges = [];
    model.waves = [];
    model.lifecycle = [];
    model.governor = null;
    model.snapshotAt = at;
    document.documentElement.dataset.environment = frame.environment;
    $("environment").textContent = frame.environment;
    $("host").textContent = frame.host;
  }

  // What a snapshot already held may come again in the first delta after it.
  const fresh = (item) => isSnapshot || Date.parse(item.at) > model.snapshotAt;
  for (const npc of frame.npcs) model.npcs.set(npc.npc_id, npc);
  for (const gate of frame.gates) model.gates.set(gate.domain, gate);
  model.gateChanges.push(...frame.gate_changes.filter(fresh));
  model.waves.push(...frame.waves.filter(fresh));
  model.lifecycle.push(...frame.lifecycle.filter(fresh));
  if (frame.governor) model.governor = frame.governor;
  if (frame.cluster) model.cluster = frame.cluster;
  if (frame.upper_half) model.upper = frame.upper_half;
  const cutoff = Date.now() - ScopeWindowMs;
  model.waves = model.waves.filter((w) => Date.parse(w.at) >= cutoff).slice(-4000);
  model.gateChanges = model.gateChanges.slice(-200);
  model.lifecycle = model.lifecycle.slice(-100);
}

function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

const text = (value, digits) => value === null || value === undefined ? "–" : typeof value === "number" && digits !== undefined ? value.toFixed(digits) : String(value);
const time = (iso) => new Date(iso).toLocaleTimeString();

function cells(row, values) {
  row.replaceChildren(...values.map(([field, value]) => {
    const cell = document.createElement("td");
    cell.dataset.field = field;
    if (value instanceof Node) cell.append(value); else cell.textContent = value;
    return cell;
  }));
}

function render() {
  renderCluster();
  renderGovernor();
  renderGates();
  renderNpcs();
  renderScope();
}

function renderCluster() {
  const cluster = model.cluster;
  if (!cluster) return;
  $("cluster-leader").textContent = cluster.leader ?? "none";
  $("singleton-governor").textContent = cluster.singletons.governor ?? "nowhere";
  $("singleton-world").textContent = cluster.singletons.world ?? "nowhere";
  const body = $("members").tBodies[0];
  body.replaceChildren(...cluster.members.map((member) => {
    const row = document.createElement("tr");
    row.dataset.status = member.status;
    const used = cluster.host_cpu_quota_percent[member.host];
    cells(row, [["host", member.host], ["status", member.status], ["roles", member.roles.join(" ")], ["reachable", member.reachable ? "yes" : "NO"],
      ["cpu", used === undefined ? "–" : `${used.toFixed(0)} / ${cluster.host_cpu_budget_percent.toFixed(0)} %`]]);
    return row;
  }));
}

function renderGovernor() {
  const governor = model.governor;
  if (governor) {
    $("governor-epoch").textContent = governor.epoch;
    $("governor-policy").textContent = text(governor.policy);
    $("governor-reward").textContent = text(governor.reward, 3);
    $("governor-trails").textContent = text(governor.trails_per_second, 1);
    $("governor-quota").textContent = `${text(governor.mean_quota_percent, 1)} %`;
    $("governor-gates").textContent = `${governor.gates_open} of ${governor.npcs}`;
  }

  const cortex = model.upper?.cortex;
  if (cortex) {
    const facts = [["model", cortex.model], ["breaker", cortex.breaker], ["queued", cortex.queued], ["in flight", cortex.in_flight],
      ["answered", cortex.answered], ["mean queue ms", text(cortex.mean_queue_ms, 0)]];
    $("cortex").replaceChildren(...facts.flatMap(([name, value]) => {
      const [dt, dd] = [document.createElement("dt"), document.createElement("dd")];
      dt.textContent = name;
      dd.textContent = text(value);
      return [dt, dd];
    }));
  }

  const organs = model.upper?.organs?.organs;
  if (organs) {
    $("organs").tBodies[0].replaceChildren(...Object.entries(organs).map(([name, organ]) => {
      const row = document.createElement("tr");
      row.dataset.domain = "organs";
      row.dataset.state = organ.state;
      cells(row, [["organ", name], ["state", organ.state], ["card", text(organ.card)], ["in_hand", organ.in_hand], ["answered", organ.answered]]);
      return row;
    }));
  }

  const anyOpen = [...model.gates.values()].some((g) => g.state === "open");
  const anyStable = [...model.gates.values()].some((g) => g.state === "stable");
  const gateEdge = document.querySelector('[data-edge="gate"]');
  gateEdge.dataset.direction = anyOpen ? "primary" : "tentative";
  gateEdge.dataset.active = String(anyOpen || anyStable);
}

function renderGates() {
  if (model.gates.size === 0) {
    $("gate-list").textContent = "no wave has moved a gate yet";
    return;
  }

  $("gate-list").replaceChildren(...[...model.gates.values()].sort((a, b) => a.domain.localeCompare(b.domain)).map((gate) => {
    const row = document.createElement("div");
    row.className = "gate";
    row.dataset.gate = gate.domain;
    row.dataset.state = gate.state;
    const bar = document.createElement("span");
    bar.className = "bar";
    const fill = document.createElement("i");
    // The value runs -1..1: the bar grows from the middle.
    fill.style.left = `${50 + Math.min(0, gate.value) * 50}%`;
    fill.style.width = `${Math.abs(gate.value) * 50}%`;
    bar.append(fill);
    const [name, state, value] = ["span", "span", "span"].map((t) => document.createElement(t));
    name.textContent = gate.domain;
    state.className = "state";
    state.textContent = gate.state;
    value.textContent = gate.value.toFixed(2);
    row.append(name, state, bar, value);
    return row;
  }));
  $("gate-timeline").replaceChildren(...model.gateChanges.slice(-50).reverse().map((change) => {
    const item = document.createElement("li");
    item.dataset.state = change.to;
    item.textContent = `${time(change.at)} ${change.domain}: ${change.from} → ${change.to} (${change.value.toFixed(2)}, tier ${change.routed_to_tier})`;
    return item;
  }));
}

// The NPC table's columns after the id, in order.
const NpcColumns = ["host", "state", "tick_rate_hz", "measured_rate_hz", "cpu_quota_percent", "cpu_percent", "lifeforce", "level", "success_rate", "epsilon", "restarts", "gate_open"];
const npcRows = new Map();

function sortedNpcs() {
  const { key, direction } = model.sort;
  return [...model.npcs.values()].sort((a, b) => {
    const [x, y] = [a[key], b[key]];
    const order = x === y ? a.npc_id - b.npc_id : x === null || x === undefined ? 1 : y === null || y === undefined ? -1 : x < y ? -1 : 1;
    return order * (x === y ? 1 : direction);
  });
}

function renderNpcs() {
  const all = sortedNpcs();
  const pages = Math.max(1, Math.ceil(all.length / model.pageSize));
  model.page = Math.min(model.page, pages - 1);
  const shown = all.slice(model.page * model.pageSize, (model.page + 1) * model.pageSize);
  $("npc-count").textContent = `${all.length} heard from`;
  $("page-shown").textContent = `page ${model.page + 1} of ${pages}`;
  // Rows are kept and updated in place, and moved only when the order changes: a row built anew twice a
  // second would swallow a click whose press and release fell on either side of a frame.
  const body = $("npc-table").tBodies[0];
  const rows = shown.map((npc) => {
    let row = npcRows.get(npc.npc_id);
    if (!row) {
      row = document.createElement("tr");
      row.dataset.npcId = npc.npc_id;
      const link = document.createElement("a");
      link.href = `#npc/${npc.npc_id}`;
      link.textContent = npc.npc_id;
      cells(row, [["npc_id", link], ...NpcColumns.map((field) => [field, ""])]);
      npcRows.set(npc.npc_id, row);
    }

    row.dataset.state = npc.state;
    const values = [text(npc.host), npc.state, text(npc.tick_rate_hz, 1), text(npc.measured_rate_hz, 1), text(npc.cpu_quota_percent, 0), text(npc.cpu_percent, 1),
      text(npc.lifeforce, 1), npc.level, text(npc.success_rate, 2), text(npc.epsilon, 2), npc.restarts, npc.gate_open ? "open" : "closed"];
    values.forEach((value, i) => {
      const cell = row.cells[i + 1];
      if (cell.textContent !== String(value)) cell.textContent = value;
    });
    row.dataset.tick = npc.tick;
    return row;
  });
  if (rows.length !== body.rows.length || rows.some((row, i) => body.rows[i] !== row)) body.replaceChildren(...rows);
}

function renderScope() {
  const legend = Charts.oscilloscope($("scope"), model.waves, ScopeWindowMs);
  $("scope-legend").replaceChildren(...legend.map((entry) => {
    const item = document.createElement("span");
    item.dataset.domain = entry.category;
    item.dataset.wave = entry.domain;
    item.style.color = entry.colour;
    item.textContent = `${entry.domain} ${entry.last.toFixed(2)}`;
    return item;
  }));
}

// The NPC page: its row, learning curve and lifecycle, from /api/npcs/{id}, refreshed while shown.
let npcTimer = null;
async function showNpc(id) {
  const answer = await fetch(`/api/npcs/${id}`);
  if (!answer.ok) {
    $("npc-facts").textContent = (await answer.text()).trim();
    return;
  }

  const detail = await answer.json();
  const npc = detail.npc;
  $("npc-facts").textContent = `${npc.state} on ${npc.host ?? "?"} · level ${npc.level} · success ${npc.success_rate.toFixed(2)} · ${npc.lifeforce.toFixed(1)} LF · ${npc.restarts} restarts`;
  // The kept history (PostgreSQL, the last day) first, then what the feed sampled since it started listening.
  const kept = await fetch(`/api/npcs/${id}/history?hours=24`).then((r) => (r.ok ? r.json() : [])).catch(() => []);
  const firstLive = detail.curve.length > 0 ? Date.parse(detail.curve[0].at) : Infinity;
  Charts.learningCurve($("curve"), [...kept.filter((p) => Date.parse(p.at) < firstLive), ...detail.curve]);
  $("npc-lifecycle").replaceChildren(...detail.lifecycle.slice().reverse().map((event) => {
    const item = document.createElement("li");
    item.textContent = `${time(event.at)} ${event.event}${event.detail ? `: ${event.detail}` : ""} (restarts ${event.restarts})`;
    return item;
  }));
}

function route() {
  clearInterval(npcTimer);
  const match = location.hash.match(/^#npc\/(\d+)$/);
  $("organism-view").hidden = Boolean(match);
  $("npc-view").hidden = !match;
  if (match) {
    $("npc-id").textContent = match[1];
    showNpc(match[1]);
    npcTimer = setInterval(() => showNpc(match[1]), 10_000);
  } else if (location.hash === "#npcs") {
    $("npcs-summary").scrollIntoView();
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const header of document.querySelectorAll("#npc-table th[data-sort]")) {
    header.addEventListener("click", () => {
      const key = header.dataset.sort;
      model.sort = { key, direction: model.sort.key === key ? -model.sort.direction : 1 };
      document.querySelectorAll("#npc-table th").forEach((h) => h.removeAttribute("aria-sort"));
      header.setAttribute("aria-sort", model.sort.direction > 0 ? "ascending" : "descending");
      queueRender();
    });
  }

  $("page-previous").addEventListener("click", () => { model.page = Math.max(0, model.page - 1); queueRender(); });
  $("page-next").addEventListener("click", () => { model.page += 1; queueRender(); });
  window.addEventListener("hashchange", route);
  route();
  connect();
  // The oscilloscope scrolls with time even when no wave comes.
  setInterval(queueRender, 500);
});
