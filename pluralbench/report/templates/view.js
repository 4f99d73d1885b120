(function(){
  "use strict";
  // Data arrives as JSON text and every string from it is written with textContent: nothing from a
  // result ever becomes markup, whatever it contains.
  var D = JSON.parse(document.getElementById('view-data').textContent);
  var PAGE = 200;  // rows drawn at a time: the list stays quick however many items match
  var COLOURS = ['#1f77b4','#d62728','#2ca02c','#9467bd','#ff7f0e','#8c564b','#e377c2','#17becf','#7f7f7f','#bcbd22'];
  var HUMAN = '#555';
  var $ = function(id){ return document.getElementById(id); };
  var state = {run: 0, shown: PAGE, rows: []};
  var haystacks = null;

  function el(tag, cls, text){
    var e = document.createElement(tag);
    if(cls){ e.className = cls; }
    if(text !== undefined && text !== null){ e.textContent = String(text); }
    return e;
  }
  function fmt(x){ return (x === null || x === undefined) ? '—' : (typeof x === 'number' ? (Math.round(x*10000)/10000).toString() : String(x)); }
  function question(item){ return item.q === null ? '' : D.texts[item.q]; }

  // Every run's row for each item, so one item shows all runs that answered it.
  var byItem = D.items.map(function(){ return []; });
  D.runs.forEach(function(run, r){ run.entries.forEach(function(e){ byItem[e[0]].push([r, e]); }); });

  function haystack(i){
    if(!haystacks){
      haystacks = D.items.map(function(it){
        return (it.id + '\n' + (it.group || '') + '\n' + question(it) + '\n' + D.option_sets[it.o].join('\n')).toLowerCase();
      });
    }
    return haystacks[i];
  }

  function fillSelect(select, values, labels){
    while(select.firstChild){ select.removeChild(select.firstChild); }
    values.forEach(function(v, i){ var o = el('option', null, labels ? labels[i] : v); o.value = String(v); select.appendChild(o); });
  }

  function setupRun(){
    var run = D.runs[state.run];
    var groups = {};
    run.entries.forEach(function(e){ var g = D.items[e[0]].group; if(g !== null){ groups[g] = true; } });
    var names = Object.keys(groups).sort();
    fillSelect($('group'), [''].concat(names), ['all groups'].concat(names));
    fillSelect($('sort'), run.metrics.map(function(_, i){ return i; }),
               run.metrics.map(function(m, i){ var d = run.directions[i]; return m + (d ? ' (' + d + ' is better)' : ' (descriptive)'); }));
    $('metric-head').textContent = run.metrics.length ? run.metrics[0] : 'metric';
  }

  function matching(){
    var run = D.runs[state.run], q = $('search').value.trim().toLowerCase(), g = $('group').value;
    var m = parseInt($('sort').value || '0', 10), worst = $('order').value === 'worst';
    var higher = run.directions[m] === 'higher';
    var rows = run.entries.filter(function(e){
      var it = D.items[e[0]];
      return (!g || it.group === g) && (!q || haystack(e[0]).indexOf(q) >= 0);
    });
    // Worst first: highest value when lower is better; items without a value always last.
    var sign = (worst !== higher) ? -1 : 1;
    rows.sort(function(a, b){
      var x = a[1][m], y = b[1][m];
      if(x === null || x === undefined){ return (y === null || y === undefined) ? 0 : 1; }
      if(y === null || y === undefined){ return -1; }
      return sign * (x - y);
    });
    return rows;
  }

  function drawList(){
    var body = $('items').tBodies[0], m = parseInt($('sort').value || '0', 10);
    while(body.firstChild){ body.removeChild(body.firstChild); }
    var frag = document.createDocumentFragment();
    state.rows.slice(0, state.shown).forEach(function(e){
      var it = D.items[e[0]], tr = el('tr');
      tr.setAttribute('data-item', String(e[0]));
      tr.tabIndex = 0;
      tr.appendChild(el('td', 'num', fmt(e[1][m])));
      tr.appendChild(el('td', 'id', it.id));
      tr.appendChild(el('td', 'grp', it.group === null ? '—' : it.group));
      tr.appendChild(el('td', 'q', question(it) || D.option_sets[it.o].join(' / ')));
      frag.appendChild(tr);
    });
    body.appendChild(frag);
    $('metric-head').textContent = D.runs[state.run].metrics[m] || 'metric';
    $('metric-head').title = $('metric-head').textContent;
    $('count').textContent = state.rows.length + ' of ' + D.runs[state.run].entries.length + ' items match; showing ' +
      Math.min(state.shown, state.rows.length);
    $('more').hidden = state.shown >= state.rows.length;
  }

  function refresh(){ state.shown = PAGE; state.rows = matching(); drawList(); }

  function barRow(s, p){
    var name = s.name, colour = s.colour, row = el('div', 'bar-row');
    var label = el('span', 'series', name); label.title = name; row.appendChild(label);
    var track = el('span', 'track'), bar = el('span', 'bar');
    var w = (typeof p === 'number' && p > 0) ? Math.min(p, 1) * 100 : 0;
    bar.style.width = w + '%';
    bar.style.background = colour;
    bar.setAttribute('data-value', String(p));
    bar.setAttribute('data-series', name);
    if(s.run !== undefined){ bar.setAttribute('data-run', String(s.run)); } else { bar.className = 'bar human'; }
    track.appendChild(bar);
    row.appendChild(track);
    row.appendChild(el('span', 'pct', typeof p === 'number' ? (p*100).toFixed(1) + '%' : '—'));
    return row;
  }

  function seriesList(i){
    var item = D.items[i], out = [], several = byItem[i].length > 1, c = 0;
    Object.keys(item.h || {}).forEach(function(name){ out.push({name: name, colour: HUMAN, dist: item.h[name]}); });
    byItem[i].forEach(function(pair){
      var dists = pair[1][2];
      Object.keys(dists).forEach(function(name){
        var label = several ? D.runs[pair[0]].short + (name === 'model' ? '' : ' — ' + name) : name;
        out.push({name: label, colour: COLOURS[c++ % COLOURS.length], dist: dists[name], run: pair[0]});
      });
    });
    return out;
  }

  function drawBars(item, series){
    var options = D.option_sets[item.o], box = el('div', 'bars');
    var n = options.length;
    series.forEach(function(s){ n = Math.max(n, s.dist.length); });
    for(var i = 0; i < n; i++){
      var opt = el('div', 'option');
      opt.appendChild(el('div', 'option-text', String.fromCharCode(65 + (i % 26)) + '. ' + (options[i] === undefined ? 'option ' + (i+1) : options[i])));
      series.forEach(function(s){ opt.appendChild(barRow(s, s.dist[i])); });
      box.appendChild(opt);
    }
    return box;
  }

  function valueNode(v){
    if(v === null || typeof v !== 'object'){ return el('span', 'val', fmt(v)); }
    if(Array.isArray(v) && v.every(function(x){ return x === null || typeof x !== 'object'; })){
      return el('span', 'val', v.map(fmt).join(', '));
    }
    var dl = el('dl', 'kv');
    Object.keys(v).forEach(function(k){ dl.appendChild(el('dt', null, Array.isArray(v) ? '#' + (parseInt(k,10)+1) : k)); var dd = el('dd'); dd.appendChild(valueNode(v[k])); dl.appendChild(dd); });
    return dl;
  }

  function runBlock(pair){
    var run = D.runs[pair[0]], e = pair[1], box = el('section', 'run-answer');
    box.setAttribute('data-run', String(pair[0]));
    box.appendChild(el('h4', null, run.label));
    var metrics = {};
    run.metrics.forEach(function(m, i){ metrics[m] = e[1][i]; });
    if(Object.keys(e[3]).length){ metrics['covered mass'] = Object.keys(e[3]).length === 1 ? e[3][Object.keys(e[3])[0]] : e[3]; }
    box.appendChild(valueNode(metrics));
    if(e[4] && Object.keys(e[4]).length){ box.appendChild(el('h5', null, 'Other fields')); box.appendChild(valueNode(e[4])); }
    return box;
  }

  function showItem(i){
    var item = D.items[i], panel = $('item');
    while(panel.firstChild){ panel.removeChild(panel.firstChild); }
    panel.setAttribute('data-item', String(i));
    panel.appendChild(el('h3', null, item.task + ' · item ' + item.id + (item.group === null ? '' : ' · ' + item.group)));
    panel.appendChild(el('p', 'question', question(item) || '(question text not available)'));
    var series = seriesList(i), legend = el('div', 'legend');
    series.forEach(function(s){ var k = el('span', 'key', s.name); var sw = el('span', 'swatch'); sw.style.background = s.colour; k.insertBefore(sw, k.firstChild); legend.appendChild(k); });
    panel.appendChild(legend);
    panel.appendChild(drawBars(item, series));
    byItem[i].forEach(function(pair){ panel.appendChild(runBlock(pair)); });
    panel.hidden = false;
  }

  function sortTable(table, i){
    var th = table.tHead.rows[0].cells[i], cur = th.getAttribute('aria-sort');
    var dir = cur === 'ascending' ? 'descending' : 'ascending', type = th.getAttribute('data-type');
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function(h){ h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir);
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    rows.sort(function(a, b){
      var x = a.cells[i].getAttribute('data-sort'), y = b.cells[i].getAttribute('data-sort');
      if(x === '' && y === ''){ return 0; } if(x === ''){ return 1; } if(y === ''){ return -1; }
      var r = type === 'number' ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return dir === 'ascending' ? r : -r;
    });
    rows.forEach(function(r){ table.tBodies[0].appendChild(r); });
  }

  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function(table){
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function(th, i){
      th.addEventListener('click', function(){ sortTable(table, i); });
    });
  });

  if(D.runs.length){
    fillSelect($('run'), D.runs.map(function(_, i){ return i; }), D.runs.map(function(r){ return r.label; }));
    $('run').addEventListener('change', function(){ state.run = parseInt(this.value, 10); setupRun(); refresh(); });
    ['group', 'sort', 'order'].forEach(function(id){ $(id).addEventListener('change', refresh); });
    $('search').addEventListener('input', refresh);
    $('more').addEventListener('click', function(){ state.shown += PAGE; drawList(); });
    $('items').tBodies[0].addEventListener('click', function(ev){
      var tr = ev.target.closest('tr'); if(tr){ showItem(parseInt(tr.getAttribute('data-item'), 10)); }
    });
    $('items').tBodies[0].addEventListener('keydown', function(ev){
      var tr = ev.target.closest('tr'); if(tr && ev.key === 'Enter'){ showItem(parseInt(tr.getAttribute('data-item'), 10)); }
    });
    setupRun();
    refresh();
  }
  // When the first rows are on screen: the page's load time is measured to here (benchmarks/bench_view.py).
  requestAnimationFrame(function(){ setTimeout(function(){
    performance.mark('items-painted');
    document.body.setAttribute('data-ready', '1');
  }, 0); });
})();
