// 政务公开考核评价填报系统: autosave and live checks for the body's form (no framework, no CDN).
// Every change is kept in this browser (localStorage) first and sent to the server after a short pause;
// a closed tab or a dropped connection loses nothing: the next visit sends what the server has not got.
"use strict";
(function () {
  const form = document.getElementById("draft");
  if (!form || form.dataset.locked === "yes") return;
  const key = "zwgk-draft-" + form.dataset.body;
  const csrf = form.querySelector("input[name=csrf]").value;
  let rev = Number(form.dataset.rev);
  let timer = null, busy = false, again = false;

  function snapshot() {
    const data = {};
    for (const [k, v] of new FormData(form)) {
      if (k === "csrf") continue;
      if (k in data) { data[k] = [].concat(data[k], v); } else { data[k] = v; }
    }
    return data;
  }
  function keepLocally() {
    try { localStorage.setItem(key, JSON.stringify({ rev: rev, values: snapshot() })); } catch (e) { /* private mode: the server copy still holds */ }
  }
  function setText(id, text) { const el = document.getElementById(id); if (el) el.textContent = text; }
  function showMessages(result) {
    for (const box of document.querySelectorAll("[data-msg]")) {
      const list = result.by_field[box.dataset.msg] || [];
      box.replaceChildren();
      for (const m of list) {
        const p = document.createElement("p");
        p.className = m.startsWith("[提醒]") ? "warn" : "err";
        p.textContent = m;
        box.appendChild(p);
      }
      const row = box.closest("[data-field]");
      if (row && row.dataset.field === box.dataset.msg) row.classList.toggle("has-err", list.some(function (m) { return !m.startsWith("[提醒]"); }));
    }
    const general = document.getElementById("general");
    if (general) {
      general.replaceChildren();
      for (const m of result.general) { const p = document.createElement("p"); p.className = "err"; p.textContent = m; general.appendChild(p); }
    }
    setText("score", result.score === null ? "—" : result.score);
    setText("grade", result.score === null ? "材料有格式问题，暂不能计分" : result.grade);
    setText("n-errors", String(result.errors));
    setText("n-warnings", String(result.warnings));
  }
  async function save() {
    if (busy) { again = true; return; }
    busy = true;
    const body = new FormData(form);
    try {
      const response = await fetch("/body/save", { method: "POST", body: body, headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" });
      if (response.status === 409 || response.status === 401 || response.status === 403) {
        const saved = document.getElementById("saved");
        saved.textContent = response.status === 409 ? "材料已提交，不能再修改" : "登录已失效，请重新登录（已填内容暂存在本机）";
        saved.classList.add("offline");
        return;
      }
      if (!response.ok) throw new Error(String(response.status));
      const result = await response.json();
      rev = result.rev;
      form.dataset.rev = String(rev);
      showMessages(result);
      const saved = document.getElementById("saved");
      saved.textContent = "已自动保存 " + result.saved + "（第 " + rev + " 版）";
      saved.classList.remove("offline");
      const tag = document.getElementById("status-tag");
      if (tag && tag.textContent === "未开始") { tag.textContent = "填报中"; tag.className = "tag s-draft"; }
      if (!again) { try { localStorage.removeItem(key); } catch (e) { /* ignore */ } }
    } catch (e) {
      const saved = document.getElementById("saved");
      saved.textContent = "网络中断，未能保存；已暂存在本机，恢复后自动保存";
      saved.classList.add("offline");
      setTimeout(schedule, 5000);
    } finally {
      busy = false;
      if (again) { again = false; schedule(); }
    }
  }
  function schedule() {
    keepLocally();
    document.getElementById("saved").textContent = "正在保存…";
    clearTimeout(timer);
    timer = setTimeout(save, 700);
  }
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", function (e) { e.preventDefault(); save(); });
  window.addEventListener("pagehide", function () {
    if (timer !== null && document.getElementById("saved").textContent === "正在保存…") {
      const body = new FormData(form);  // the csrf field travels in the form (a beacon sets no headers)
      navigator.sendBeacon("/body/save", body);
    }
  });
  // Evidence: one more row for a criterion.
  for (const button of document.querySelectorAll(".add-ev")) {
    button.addEventListener("click", function () {
      const rows = form.querySelector('.ev-rows[data-node="' + CSS.escape(button.dataset.node) + '"]');
      const last = rows.lastElementChild;
      const index = rows.children.length;
      if (index >= 20) return;
      const copy = last.cloneNode(true);
      for (const input of copy.querySelectorAll("input")) {
        const parts = input.name.split(":");
        parts[parts.length - 2] = String(index);
        input.name = parts.join(":");
        input.value = "";
      }
      rows.appendChild(copy);
    });
  }
  // What this browser kept but the server has not got (closed tab, lost connection): restore and send.
  try {
    const kept = JSON.parse(localStorage.getItem(key) || "null");
    if (kept && kept.rev === rev) {
      for (const el of form.elements) {
        if (!el.name || el.name === "csrf" || !(el.name in kept.values)) continue;
        const v = kept.values[el.name];
        if (el.type === "checkbox") { el.checked = [].concat(v).includes(el.value); } else { el.value = Array.isArray(v) ? v[0] : v; }
      }
      schedule();
    } else if (kept) {
      localStorage.removeItem(key);  // older than what the server has
    }
  } catch (e) { /* ignore a broken local copy */ }
})();
