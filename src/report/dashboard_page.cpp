// The live dashboard's single page: a run list and the report's charts, refreshed by polling.
#include "shoal/report/dashboard_page.hpp"

#include "shoal/report/html_report.hpp"

namespace shoal::report {

const std::string& dashboardPage() {
  static const std::string page = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>shoal dashboard</title><style>)" +
                                  reportStyle() + R"(
#layout{display:flex;gap:20px}#runs{min-width:220px}#runs label{display:block;font-size:13px;margin:3px 0}
.live{color:#2ca02c;font-weight:bold}#status{color:#888;font-size:12px}
#report{display:flex;flex-direction:column}#report section.runs{order:1}</style></head>
<body><h1>shoal dashboard</h1><p id="status">loading...</p>
<div id="layout"><div id="runs"><h2>Runs</h2><div id="runlist"></div></div><div id="report"></div></div>
<script>
const selected = new Set();
let firstLoad = true;
function escapeText(s) { const d = document.createElement('div'); d.textContent = s; return d.innerHTML; }
async function loadRuns() {
  const response = await fetch('api/runs', {cache: 'no-store'});
  if (!response.ok) throw new Error('api/runs: ' + response.status);
  const runs = (await response.json()).runs;
  if (firstLoad && runs.length) {  // start with the run written to last
    selected.add(runs.reduce((a, b) => (b.modified > a.modified ? b : a)).name);
    firstLoad = false;
  }
  const now = Date.now() / 1000;
  document.getElementById('runlist').innerHTML = runs.map(r =>
    '<label><input type="checkbox" data-run="' + escapeText(r.name) + '"' + (selected.has(r.name) ? ' checked' : '') +
    '> ' + escapeText(r.name) + (now - r.modified < 30 ? ' <span class="live">live</span>' : '') + '</label>').join('') ||
    '<p class="note">no runs yet</p>';
  for (const box of document.querySelectorAll('#runlist input')) {
    box.onchange = () => { box.checked ? selected.add(box.dataset.run) : selected.delete(box.dataset.run); refresh(); };
  }
}
async function loadReport() {
  const report = document.getElementById('report');
  if (!selected.size) { report.innerHTML = '<p class="note">select a run</p>'; return; }
  const query = [...selected].map(r => 'run=' + encodeURIComponent(r)).join('&');
  const response = await fetch('api/report?' + query, {cache: 'no-store'});
  if (response.ok) report.innerHTML = await response.text();
}
async function refresh() {
  try {
    await loadRuns();
    await loadReport();
    document.getElementById('status').textContent = 'updated ' + new Date().toLocaleTimeString() + ' (every 3 s)';
  } catch (e) {
    document.getElementById('status').textContent = 'cannot reach the dashboard: ' + e.message;
  }
}
refresh();
setInterval(refresh, 3000);
</script></body></html>
)";
  return page;
}

}  // namespace shoal::report
