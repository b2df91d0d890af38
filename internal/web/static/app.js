// contactd's web address book: small enhancements over pages that work
// without them (but the import's upload, which needs a script to send a
// file to the API).
"use strict";

const csrfToken = () => {
  const el = document.querySelector('input[name="csrf"]') || document.querySelector("[data-csrf]");
  return el ? (el.value || el.dataset.csrf) : "";
};

// Search as you type: the list's results are fetched and put in place,
// 250 ms after the last key, and the address bar follows.
function liveSearch(form) {
  const input = form.querySelector("[data-live]");
  let timer = 0;
  let seq = 0;
  const run = async () => {
    const params = new URLSearchParams(new FormData(form));
    for (const [k, v] of [...params]) if (!v) params.delete(k);
    const qs = params.toString();
    history.replaceState(null, "", "/contacts" + (qs ? "?" + qs : ""));
    params.set("partial", "results");
    const mine = ++seq;
    const res = await fetch("/contacts?" + params.toString(), { headers: { "X-Requested-With": "fetch" } });
    if (mine !== seq || !res.ok) return;
    const html = await res.text();
    // Only the newest query's answer is shown, whichever arrives last.
    if (mine !== seq) return;
    const region = document.getElementById("results-region");
    if (region) region.innerHTML = html;
  };
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 250); });
  form.querySelectorAll("select").forEach((s) => s.addEventListener("change", run));
}

// Adding an entry row: the last row of the list is copied, renumbered
// and emptied.
function addRow(button) {
  const set = button.closest("fieldset");
  const rows = set.querySelectorAll(".entry");
  if (rows.length === 0) return;
  const last = rows[rows.length - 1];
  const from = Number(last.dataset.index);
  let to = 0;
  rows.forEach((r) => { to = Math.max(to, Number(r.dataset.index) + 1); });
  const row = last.cloneNode(true);
  row.dataset.index = String(to);
  const re = new RegExp("\\[" + from + "\\]", "g");
  row.querySelectorAll("[name],[id],[for],[aria-describedby]").forEach((el) => {
    for (const a of ["name", "id", "for", "aria-describedby"]) {
      if (el.hasAttribute(a)) el.setAttribute(a, el.getAttribute(a).replace(re, "[" + to + "]"));
    }
  });
  row.querySelectorAll("label").forEach((l) => {
    for (const n of l.childNodes) {
      if (n.nodeType === Node.TEXT_NODE) n.textContent = n.textContent.replace(/ \d+$/, "") .replace(/\s+$/, "") + " " + (to + 1);
    }
  });
  row.querySelectorAll("input, select").forEach((i) => {
    if (i.type === "checkbox") i.checked = false;
    else if (i.tagName === "SELECT") i.selectedIndex = 0;
    else i.value = "";
    i.removeAttribute("aria-invalid");
    i.removeAttribute("aria-describedby");
  });
  row.querySelectorAll(".error").forEach((e) => e.remove());
  last.after(row);
  const first = row.querySelector("input:not([type=hidden])");
  if (first) first.focus();
}

// The import: the file's first bytes are looked at (format, columns),
// then the file is sent to the API and the page follows the job.
function importForm(form) {
  const file = form.querySelector("#file");
  const error = document.getElementById("import-error");
  const detected = document.getElementById("detected");
  const showError = (msg) => { error.textContent = msg; error.hidden = !msg; };
  const mapping = () => {
    const m = {};
    form.querySelectorAll("#mapping tbody input").forEach((i) => { if (i.value.trim()) m[i.dataset.column] = i.value.trim(); });
    return m;
  };
  const detect = async () => {
    showError("");
    const f = file.files[0];
    if (!f) { detected.hidden = true; return; }
    const head = await f.slice(0, 65536).arrayBuffer();
    const params = new URLSearchParams();
    const fmt = form.querySelector("#format").value;
    if (fmt) params.set("format", fmt);
    const res = await fetch("/import/detect?" + params, { method: "POST", body: head,
      headers: { "X-CSRF-Token": csrfToken(), "X-File-Type": f.type || "" } });
    if (!res.ok) { showError("The file could not be looked at (" + res.status + ")."); return; }
    const d = await res.json();
    const summary = document.getElementById("detected-summary");
    summary.textContent = "Format: " + d.format + (d.layout ? " (" + d.layout + " layout)" : "") + (d.error ? ". " + d.error : "");
    const body = form.querySelector("#mapping tbody");
    body.replaceChildren();
    (d.columns || []).forEach((c, i) => {
      const tr = document.createElement("tr");
      const th = document.createElement("th"); th.scope = "row"; th.textContent = c;
      const td1 = document.createElement("td"); td1.textContent = d.targets[i];
      const td2 = document.createElement("td");
      const input = document.createElement("input");
      input.type = "text"; input.setAttribute("list", "targets"); input.dataset.column = c;
      input.placeholder = "as detected"; input.setAttribute("aria-label", "Map column " + c + " to");
      td2.append(input);
      tr.append(th, td1, td2);
      body.append(tr);
    });
    form.querySelector("#mapping").hidden = !(d.columns && d.columns.length);
    detected.hidden = false;
  };
  file.addEventListener("change", detect);
  form.querySelector("#format").addEventListener("change", detect);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    showError("");
    const f = file.files[0];
    if (!f) { showError("Choose a file first."); file.focus(); return; }
    const params = new URLSearchParams();
    const fmt = form.querySelector("#format").value;
    if (fmt) params.set("format", fmt);
    params.set("mode", form.querySelector("#mode").value);
    if (e.submitter && e.submitter.dataset.dryRun) params.set("dryRun", "true");
    const m = mapping();
    if (Object.keys(m).length) params.set("mapping", JSON.stringify(m));
    form.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    try {
      const res = await fetch("/app/api/v1/imports?" + params, { method: "POST", body: f,
        headers: { "X-CSRF-Token": csrfToken(), "Content-Type": f.type || "application/octet-stream" } });
      const doc = await res.json().catch(() => ({}));
      if (res.status !== 202) {
        const details = (doc.errors || []).map((x) => x.location + ": " + x.message).join("; ");
        showError((doc.detail || doc.title || "The import was refused (" + res.status + ").") + (details ? " " + details : ""));
        return;
      }
      location.href = "/imports/" + encodeURIComponent(doc.id);
    } finally {
      form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
    }
  });
}

// An import's page follows the job until it ends, then shows its outcome.
function followJob(el) {
  const id = el.dataset.job;
  if (!["queued", "running"].includes(el.dataset.status)) return;
  const progress = document.getElementById("progress");
  const tick = async () => {
    const res = await fetch("/app/api/v1/imports/" + encodeURIComponent(id));
    if (!res.ok) { setTimeout(tick, 2000); return; }
    const job = await res.json();
    el.querySelectorAll("[data-field]").forEach((s) => {
      if (job[s.dataset.field] !== undefined) s.textContent = String(job[s.dataset.field]);
    });
    if (job.total) { progress.max = job.total; progress.value = job.processed; }
    if (job.status === "queued" || job.status === "running") { setTimeout(tick, 400); return; }
    progress.max = 1; progress.value = 1;
    el.dataset.status = job.status;
    location.reload();
  };
  setTimeout(tick, 200);
}

document.addEventListener("DOMContentLoaded", () => {
  const search = document.getElementById("contact-search");
  if (search) liveSearch(search);
  document.querySelectorAll("button[data-add]").forEach((b) => b.addEventListener("click", () => addRow(b)));
  document.querySelectorAll("form[data-confirm]").forEach((f) => f.addEventListener("submit", (e) => {
    if (!confirm(f.dataset.confirm)) e.preventDefault();
  }));
  const imp = document.getElementById("import-form");
  if (imp) importForm(imp);
  const job = document.getElementById("job");
  if (job) followJob(job);
});
