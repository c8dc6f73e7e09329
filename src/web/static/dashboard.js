// SPDX-License-Identifier: LGPL-2.1-or-later
// Progressive enhancement only: every page works without it. Sorting of
// tables (buttons in the headers, so the keyboard works) and filtering of
// rows. Plain JavaScript, no build step.
'use strict';

(function () {
  function cellValue(row, index) {
    const cell = row.cells[index];
    return cell ? cell.textContent.trim() : '';
  }

  function compare(a, b) {
    const na = Number(a);
    const nb = Number(b);
    if (a !== '' && b !== '' && !Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
    return a.localeCompare(b);
  }

  function makeSortable(table) {
    const head = table.tHead;
    if (!head || !table.tBodies.length) return;
    const headers = Array.from(head.rows[0].cells);
    headers.forEach(function (th, index) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = th.textContent;
      th.textContent = '';
      th.appendChild(button);
      button.addEventListener('click', function () {
        const ascending = th.getAttribute('aria-sort') !== 'ascending';
        headers.forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        const body = table.tBodies[0];
        const rows = Array.from(body.rows);
        rows.sort(function (r1, r2) {
          const c = compare(cellValue(r1, index), cellValue(r2, index));
          return ascending ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  function makeFilter(input) {
    const table = document.getElementById(input.getAttribute('data-filter'));
    if (!table || !table.tBodies.length) return;
    const container = input.closest('.jsonly');
    if (container) container.hidden = false;
    input.addEventListener('input', function () {
      const needle = input.value.toLowerCase();
      Array.from(table.tBodies[0].rows).forEach(function (row) {
        row.hidden = needle !== '' && !row.textContent.toLowerCase().includes(needle);
      });
    });
  }

  document.querySelectorAll('table.sortable').forEach(makeSortable);
  document.querySelectorAll('input[data-filter]').forEach(makeFilter);
})();
