// Mass payouts: CSV import → validation (every bad line, with its number and reason) →
// review → sending with a progress bar → results CSV. Safe to resume (lib/payout-run.js).

import { h, replace } from '../dom.js';
import { field, errorBox, busy, table, screenHeading, notice, dl, formatTime } from '../ui.js';
import { parsePayoutCsv, MAX_PAYOUT_ROWS } from '../lib/csv.js';
import { sha256Hex } from '../lib/hash.js';
import { displayAmount } from '../lib/money.js';
import { loadRun, runPayout, summarize, retryFailed, resultsCsv, STATE_PREFIX } from '../lib/payout-run.js';
import { loadCoins, truthy } from '../coins.js';

/** @typedef {import('../app.js').Ctx} Ctx */
/** @typedef {import('../lib/csv.js').PayoutRow} PayoutRow */

export const CHUNK = 10;

/** @type {import('../app.js').Screen} */
export default {
  id: 'payouts',
  title: 'Mass payouts',
  needsSession: true,
  render(ctx) {
    const file = field({ label: 'Payout file (CSV)', name: 'payoutFile', type: 'file', hint: 'One payout per line: address,currency,amount[,memo]. A header line is optional.', attrs: { accept: '.csv,text/csv,text/plain' } });
    const paste = field({ label: 'Or paste the CSV', name: 'payoutText', type: 'textarea', attrs: { rows: 5 } });
    const check = h('button', { type: 'submit', class: 'secondary' }, 'Check pasted CSV');
    const stage = h('div', { class: 'stack' });
    const form = h('form', { class: 'stack', novalidate: true }, file.wrap, h('details', null, h('summary', null, 'Paste instead'), paste.wrap, check));
    const root = h('section', { class: 'screen' },
      screenHeading('Mass payouts'),
      h('p', { class: 'hint' }, `Up to ${MAX_PAYOUT_ROWS} payouts per file. Nothing is sent until you confirm. A file that stopped half way can be loaded again: payouts already sent are skipped.`),
      ctx.variant === 'popup' ? h('p', { class: 'hint' }, 'The popup closes when you click elsewhere, which pauses sending: for large files use “Open in side panel”.') : null,
      form, stage);
    /** @type {AbortController|null} */
    let running = null;
    ctx.onDispose(() => running?.abort());

    /** @param {string} text @param {string} name */
    const load = async (text, name) => {
      if (running) return;
      replace(stage, h('p', { class: 'loading', role: 'status' }, 'Checking the file…'));
      let currencies;
      /** @type {Record<string, string>} */
      const fees = {};
      try {
        const coins = (await loadCoins(ctx.backend)).filter((c) => !truthy(c.is_fiat));
        currencies = coins.map((c) => c.coin);
        for (const c of coins) if (c.tx_fee) fees[c.coin] = String(c.tx_fee);
      } catch {
        currencies = undefined; // validate the shape only; the API checks tickers
      }
      const parsed = parsePayoutCsv(text, { currencies, fees });
      const hash = await sha256Hex(text);
      if (parsed.errors.length) {
        replace(stage, validationView(parsed, name));
        /** @type {HTMLElement|null} */ (stage.querySelector('h3'))?.focus();
        return;
      }
      const prior = await loadRun(ctx.store, hash);
      replace(stage, reviewView(ctx, parsed, name, hash, prior, (ctl) => { running = ctl; }, () => { running = null; }));
      /** @type {HTMLElement|null} */ (stage.querySelector('h3'))?.focus();
    };
    file.input.addEventListener('change', async () => {
      const f = file.input.files?.[0];
      if (!f) return;
      if (f.size > 2_000_000) {
        replace(stage, notice('That file is larger than 2 MB: it cannot be a payout list of at most 1000 lines.', 'warn'));
        return;
      }
      await load(await f.text(), f.name);
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      load(paste.input.value, 'pasted.csv');
    });
    return root;
  },
};

/** @param {import('../lib/csv.js').PayoutFile} parsed @param {string} name */
function validationView(parsed, name) {
  const n = parsed.errors.length;
  return h('section', { class: 'card', 'aria-labelledby': 'po-invalid' },
    h('h3', { id: 'po-invalid', tabindex: '-1' }, `${n} problem${n === 1 ? '' : 's'} in ${name}`),
    h('p', null, 'Nothing was sent. Fix every line below, then load the file again.'),
    h('ul', { class: 'problems', role: 'alert' }, parsed.errors.map((e) => h('li', { dataset: { line: String(e.line) } },
      e.line ? h('strong', null, `Line ${e.line}: `) : h('strong', null, 'File: '), e.reason))),
    parsed.warnings.length ? warningsList(parsed.warnings) : null);
}

/** @param {{line: number, reason: string}[]} warnings */
function warningsList(warnings) {
  return h('div', null, h('h4', null, 'Please check'), h('ul', { class: 'warnings' }, warnings.map((w) => h('li', null, h('strong', null, `Line ${w.line}: `), w.reason))));
}

/**
 * @param {Ctx} ctx @param {import('../lib/csv.js').PayoutFile} parsed @param {string} name @param {string} hash
 * @param {import('../lib/payout-run.js').RunState|undefined} prior
 * @param {(c: AbortController) => void} onStart @param {() => void} onEnd
 */
function reviewView(ctx, parsed, name, hash, prior, onStart, onEnd) {
  const rows = parsed.rows;
  const sum = prior ? summarize(prior) : null;
  const remaining = sum ? sum.pending + sum.sending : rows.length;
  const confirm = h('button', { type: 'button', class: 'primary', 'data-action': 'send-payouts' },
    sum && sum.done ? `Resume: send the remaining ${remaining}` : `Confirm and send ${rows.length} payout${rows.length === 1 ? '' : 's'}`);
  const progress = h('progress', { max: String(rows.length), value: String(sum ? sum.done : 0), id: 'po-progress', 'aria-describedby': 'po-progress-text' });
  const progressText = h('p', { id: 'po-progress-text', role: 'status', 'aria-live': 'polite' }, sum ? progressLine(sum) : 'Not started.');
  const stop = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Stop after this batch');
  const out = h('div', { class: 'stack' });
  const totals = Object.entries(parsed.totals).map(([c, t]) => `${displayAmount(t)} ${c}`).join(', ');
  const section = h('section', { class: 'card', 'aria-labelledby': 'po-review' },
    h('h3', { id: 'po-review', tabindex: '-1' }, `Review ${rows.length} payout${rows.length === 1 ? '' : 's'} from ${name}`),
    dl([
      ['Payouts', String(rows.length)],
      ['Totals', totals],
      ['File fingerprint', h('code', null, hash.slice(0, 16))],
      ...(/** @type {[string, string][]} */ (prior ? [['Earlier run', `started ${formatTime(new Date(prior.createdAt).toISOString())}: ${progressLine(/** @type {any} */ (sum))}`]] : [])),
    ]),
    parsed.warnings.length ? warningsList(parsed.warnings) : null,
    table({
      caption: 'Payouts in this file',
      columns: [{ label: 'Line', num: true }, { label: 'Address' }, { label: 'Amount', num: true }, { label: 'Currency' }, { label: 'Memo' }],
      rows: rows.slice(0, 200).map((r) => [String(r.line), h('code', { class: 'address' }, r.address), displayAmount(r.amount), r.currency, r.memo]),
    }),
    rows.length > 200 ? h('p', { class: 'hint' }, `…and ${rows.length - 200} more.`) : null,
    h('div', { class: 'progress-wrap' }, h('label', { for: 'po-progress' }, 'Progress'), progress, progressText),
    h('div', { class: 'actions' }, remaining > 0 ? confirm : null, stop),
    out);
  if (prior) showResults(ctx, out, rows, prior);

  confirm.addEventListener('click', () => {
    const ctl = new AbortController();
    onStart(ctl);
    stop.hidden = false;
    stop.addEventListener('click', () => { ctl.abort(); stop.disabled = true; ctx.announce('Stopping after the current batch.'); }, { once: true });
    busy(confirm, async () => {
      try {
        const st = await runPayout({
          backend: ctx.backend, store: ctx.store, hash, name, rows, chunk: CHUNK, signal: ctl.signal,
          onProgress: (_st, s) => {
            progress.value = s.done;
            progressText.textContent = progressLine(s);
          },
        });
        const s = summarize(st);
        confirm.hidden = s.pending + s.sending === 0;
        confirm.textContent = `Resume: send the remaining ${s.pending + s.sending}`;
        ctx.announce(s.pending ? `Stopped: ${progressLine(s)}` : `Finished: ${progressLine(s)}`);
        showResults(ctx, out, rows, st);
      } catch (e) {
        const st = await loadRun(ctx.store, hash);
        replace(out, errorBox(e), h('p', null, 'Payouts already sent are recorded: load the same file again, or press the button again, to resume.'));
        if (st) out.appendChild(resultsBlock(ctx, out, rows, st));
        confirm.textContent = 'Resume';
      } finally {
        stop.hidden = true;
        onEnd();
      }
    }, 'Sending…');
  });
  return section;
}

/** @param {ReturnType<typeof summarize>} s */
function progressLine(s) {
  const parts = [`${s.sent} of ${s.total} sent`];
  if (s.failed) parts.push(`${s.failed} refused`);
  if (s.unknown) parts.push(`${s.unknown} need checking`);
  if (s.pending + s.sending) parts.push(`${s.pending + s.sending} not sent yet`);
  return parts.join(', ') + '.';
}

/** @param {Ctx} ctx @param {HTMLElement} out @param {PayoutRow[]} rows @param {import('../lib/payout-run.js').RunState} st */
function showResults(ctx, out, rows, st) {
  replace(out, resultsBlock(ctx, out, rows, st));
}

/** @param {Ctx} ctx @param {HTMLElement} out @param {PayoutRow[]} rows @param {import('../lib/payout-run.js').RunState} st */
function resultsBlock(ctx, out, rows, st) {
  const s = summarize(st);
  const csv = resultsCsv(rows, st);
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  ctx.onDispose(() => URL.revokeObjectURL(url));
  const download = h('a', { href: url, download: `payout-results-${st.hash.slice(0, 8)}.csv`, class: 'button', 'data-action': 'download-results' }, 'Download results CSV');
  const retry = s.failed ? h('button', { type: 'button', class: 'secondary' }, `Mark ${s.failed} refused payout${s.failed === 1 ? '' : 's'} for sending again`) : null;
  retry?.addEventListener('click', async () => {
    await retryFailed(ctx.store, st);
    ctx.announce('Refused payouts will be sent with the next run. Press Resume.');
    showResults(ctx, out, rows, st);
  });
  const forget = h('button', { type: 'button', class: 'link' }, 'Forget this file’s progress');
  forget.addEventListener('click', async () => {
    if (s.sent && !confirm(`Forget the progress of this file? ${s.sent} payouts were sent: loading the file again would send them AGAIN.`)) return;
    await ctx.store.remove(STATE_PREFIX + st.hash);
    ctx.announce('Progress forgotten.');
    replace(out, notice('Progress forgotten.', 'info'));
  });
  return h('section', { 'aria-labelledby': 'po-results', class: 'stack' },
    h('h3', { id: 'po-results' }, 'Results'),
    h('p', { role: 'status', class: s.failed || s.unknown ? 'notice warn' : 'notice ok' }, progressLine(s)),
    table({
      caption: 'Result per payout',
      captionHidden: true,
      columns: [{ label: 'Line', num: true }, { label: 'Amount', num: true }, { label: 'Address' }, { label: 'Status' }, { label: 'Withdrawal / reason' }],
      rows: rows.slice(0, 200).map((r) => {
        const rs = st.rows[r.row];
        return [String(r.line), `${displayAmount(r.amount)} ${r.currency}`, h('code', { class: 'address' }, r.address), h('span', { class: `row-${rs?.status}` }, rs?.status ?? ''), rs?.id ?? rs?.error ?? ''];
      }),
    }),
    h('div', { class: 'actions' }, download, retry, forget));
}
