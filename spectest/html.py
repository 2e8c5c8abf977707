"""A self-contained HTML report: one file, no network.

The page holds its data as JSON and draws, with inline JavaScript and CSS:

* the proposal x engine matrix as a heat map (cell colour by pass rate,
  text ``passed/commands``), with each engine's version and the testsuite
  commit above it;
* a drill-down: clicking a cell lists that proposal's scripts for that
  engine with their counts; clicking a script lists each failing command
  (line, kind, expected, got). ``#engine=NAME&proposal=P&script=S`` in the
  URL opens the same views, so a link can point at a failure.

A Content-Security-Policy that allows nothing but the page's own inline
code and styles keeps every request from leaving it.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from .report import MultiReport

__all__ = ["render_html", "write_html", "split_message"]

#: failing commands kept per script (the JSON report has them all)
MAX_FAILURES_PER_SCRIPT = 2000


def split_message(message: str) -> tuple[str, str]:
    """(expected, got) of a failure message written as ``expected X, got Y``;
    otherwise ("", message)."""
    if message.startswith("expected ") and ", got " in message:
        want, _, got = message[len("expected "):].partition(", got ")
        return want, got
    if message.startswith("result ") and ": expected " in message and ", got " in message:
        where, _, rest = message.partition(": expected ")
        want, _, got = rest.partition(", got ")
        return f"{where}: {want}", got
    return "", message


def _data(report: MultiReport) -> dict[str, Any]:
    engines = []
    for name, r in report.engines.items():
        files = {}
        for relpath in sorted(r.files):
            f = r.files[relpath]
            fails = []
            for res in f.failures()[:MAX_FAILURES_PER_SCRIPT]:
                want, got = split_message(res.message)
                fails.append([res.line, res.kind, want[:400], got[:400]])
            files[relpath] = {"proposal": f.proposal, "converter": f.converter or "not converted",
                              "passed": f.passed, "failed": f.failed, "skipped": f.skipped,
                              "failures": fails, "more": max(0, f.failed - len(fails))}
        engines.append({"name": name, "version": r.version or name, "files": files})
    cells: dict[str, dict[str, list[int]]] = {}
    for proposal in [*report.proposals(), None]:
        row = cells.setdefault(proposal or "total", {})
        for name in report.engines:
            row[name] = list(report.cell(name, proposal))
    return {"commit": report.testsuite_commit or "unknown", "suite": report.testsuite_path or "",
            "proposals": [*report.proposals(), "total"], "engines": engines, "cells": cells}


_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em}table{border-collapse:collapse;margin:.8em 0}
th,td{border:1px solid #bbb;padding:.25em .6em;text-align:right}
th:first-child,td:first-child{text-align:left}
td.cell{cursor:pointer;min-width:9em}td.cell:hover{outline:2px solid #000}
td.sel{outline:3px solid #036}tr.total td{font-weight:bold}
#detail td,#failures td{text-align:left;vertical-align:top;font-family:monospace;font-size:12px}
#detail tr.script{cursor:pointer}#detail tr.script:hover{background:#eef}
.muted{color:#666}.versions li{font-family:monospace}
"""

_JS = r"""
(function(){
var D=JSON.parse(document.getElementById('spectest-data').textContent);
function el(t,a,txt){var e=document.createElement(t);for(var k in (a||{}))e.setAttribute(k,a[k]);
 if(txt!==undefined)e.textContent=txt;return e;}
function colour(p,total){if(!total)return '#eee';var h=Math.round(120*p/total);
 return 'hsl('+h+',70%,'+(p===total?'75%':'80%')+')';}
var byName={};D.engines.forEach(function(e){byName[e.name]=e;});
document.getElementById('commit').textContent=D.commit;
var vl=document.getElementById('versions');
D.engines.forEach(function(e){vl.appendChild(el('li',{},e.name+': '+e.version));});
var m=document.getElementById('matrix');var hr=el('tr');hr.appendChild(el('th',{},'proposal'));
D.engines.forEach(function(e){hr.appendChild(el('th',{},e.name));});m.appendChild(hr);
D.proposals.forEach(function(p){
 var tr=el('tr',p==='total'?{'class':'total'}:{});tr.appendChild(el('td',{},p));
 D.engines.forEach(function(e){var c=D.cells[p][e.name];var n=c[0]+c[1]+c[2];
  var pct=n?(100*c[0]/n).toFixed(1)+'%':'-';
  var td=el('td',{'class':'cell','data-engine':e.name,'data-proposal':p,
   'title':c[0]+' passed, '+c[1]+' failed, '+c[2]+' skipped'},n?c[0]+'/'+n+' ('+pct+')':'-');
  td.style.background=colour(c[0],n);td.addEventListener('click',function(){go(e.name,p,'');});
  tr.appendChild(td);});
 m.appendChild(tr);});
function go(engine,proposal,script){
 var h='engine='+encodeURIComponent(engine)+'&proposal='+encodeURIComponent(proposal);
 if(script)h+='&script='+encodeURIComponent(script);
 if(location.hash.slice(1)!==h)location.hash=h;else show();}
function params(){var o={};location.hash.slice(1).split('&').forEach(function(kv){
 var i=kv.indexOf('=');if(i>0)o[decodeURIComponent(kv.slice(0,i))]=decodeURIComponent(kv.slice(i+1));});return o;}
function show(){
 var q=params();var e=byName[q.engine];var det=document.getElementById('detail');
 var fl=document.getElementById('failures');det.textContent='';fl.textContent='';
 Array.prototype.forEach.call(document.querySelectorAll('td.sel'),function(t){t.classList.remove('sel');});
 if(!e)return;
 var sel=document.querySelector('td.cell[data-engine="'+CSS.escape(q.engine)+'"][data-proposal="'+CSS.escape(q.proposal||'total')+'"]');
 if(sel)sel.classList.add('sel');
 det.appendChild(el('h2',{},e.name+' / '+(q.proposal||'total')));
 var t=el('table',{'id':'scripts'});var h=el('tr');
 ['script','converter','passed','failed','skipped'].forEach(function(x){h.appendChild(el('th',{},x));});
 t.appendChild(h);
 Object.keys(e.files).sort().forEach(function(s){var f=e.files[s];
  if(q.proposal&&q.proposal!=='total'&&f.proposal!==q.proposal)return;
  var r=el('tr',{'class':'script','data-script':s});
  [s,f.converter,f.passed,f.failed,f.skipped].forEach(function(x){r.appendChild(el('td',{},String(x)));});
  if(f.failed)r.style.background='#fdd';
  r.addEventListener('click',function(){go(e.name,q.proposal||'total',s);});t.appendChild(r);});
 det.appendChild(t);
 if(!q.script||!e.files[q.script])return;
 var f=e.files[q.script];fl.appendChild(el('h3',{},'failing commands of '+q.script+' ('+e.name+')'));
 if(!f.failures.length){fl.appendChild(el('p',{'class':'muted'},'no failing command'));return;}
 var ft=el('table',{'id':'failure-table'});var fh=el('tr');
 ['line','kind','expected','got'].forEach(function(x){fh.appendChild(el('th',{},x));});ft.appendChild(fh);
 f.failures.forEach(function(x){var r=el('tr',{'class':'failure'});
  x.forEach(function(v){r.appendChild(el('td',{},String(v)));});ft.appendChild(r);});
 fl.appendChild(ft);
 if(f.more)fl.appendChild(el('p',{'class':'muted'},'... and '+f.more+' more (see the JSON report)'));}
window.addEventListener('hashchange',show);show();
document.body.setAttribute('data-ready','1');
})();
"""


def render_html(report: MultiReport) -> str:
    """The page as one string."""
    data = json.dumps(_data(report), separators=(",", ":"))
    # the JSON sits inside a <script> element: no "</" may end it early
    data = data.replace("</", "<\\/").replace("<!--", "<\\!--")
    title = "spectest: " + ", ".join(report.engines)
    csp = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
           "img-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>{html.escape(title)}</title><style>{_CSS}</style></head>
<body>
<h1>WebAssembly spec conformance</h1>
<p>testsuite commit <code id="commit"></code>; cells: passed/commands (pass %), click one for its scripts,
then a script for its failing commands.</p>
<ul class="versions" id="versions"></ul>
<table id="matrix"></table>
<div id="detail"></div>
<div id="failures"></div>
<script type="application/json" id="spectest-data">{data}</script>
<script>{_JS}</script>
</body></html>
"""


def write_html(path: Path, report: MultiReport) -> None:
    """Write the page of ``report`` to ``path``."""
    Path(path).write_text(render_html(report), encoding="utf-8")
