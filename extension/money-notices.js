// A money request whose console page closed before its answer came (the popup closed on a
// click elsewhere, the tab closed). The worker goes on with it: its operation record was written
// before it left, and core settles the record with the answer. No page is left to show that
// answer, and a merchant who believes it failed sends it again. So the worker says what became
// of it in a notification: sent (with its id), not sent (with the API's reason), or unknown
// (open the console and Reconcile). A click opens the Send screen. While the page that asked is
// open, the page says it and nothing is shown here.

import { t } from '../web/lib/i18n.js';
import { formatAmount } from '../web/lib/money.js';
import { mayHaveBeenCarriedOut } from '../web/lib/errors.js';

/** Notification ids start with this (the click handler tells them from paid alerts by it). */
export const NOTICE_PREFIX = 'wk.sent:';

/** The methods a person sends from a review, with the name of what they send. */
const NAMES = /** @type {Record<string, string>} */ ({ createWithdrawal: 'op_withdrawal', createTransfer: 'op_transfer', convert: 'op_conversion' });

/** What was shown (tests read it; never a secret: amounts, destinations, ids, the API's words). */
export const shown = /** @type {{id: string, title: string, message: string}[]} */ ([]);

/**
 * After a money message was answered: a notification when the page that sent it is gone.
 * @param {any} msg  {method, args, store}
 * @param {chrome.runtime.MessageSender} sender
 * @param {{ok: true, value: any} | {ok: false, error: any}} reply
 * @param {(store: string|undefined) => Promise<string>} storeName
 */
export async function noticeIfGone(msg, sender, reply, storeName) {
  const kind = NAMES[msg?.method];
  if (!kind || !sender?.documentId || typeof chrome.runtime.getContexts !== 'function') return;
  // the page is open when Chrome still lists its document (an error reads as open: no notice)
  const open = await chrome.runtime.getContexts({ documentIds: [sender.documentId] }).catch(() => [null]);
  if (open.length) return;
  const p = msg.args?.[0] ?? {};
  const coin = p.currency ?? p.from ?? '';
  const amount = p.amount ? `${formatAmount(String(p.amount), coin)} ${coin}`.trim() : '';
  const dest = p.address ?? (p.merchant ? t('sd_dest_merchant', p.merchant) : p.toAddress ?? (p.to ? t('sd_dest_balance', p.to) : ''));
  const name = t(kind);
  let title;
  let message;
  if (reply.ok) {
    title = t('sw_notice_sent_title', name);
    message = t('sw_notice_sent_text', amount, dest, String(reply.value?.id ?? ''));
  } else if (mayHaveBeenCarriedOut(reply.error ?? {})) {
    title = t('sw_notice_unknown_title', name);
    message = t('sw_notice_unknown_text', amount, dest);
  } else {
    title = t('sw_notice_not_sent_title', name);
    message = t('sw_notice_not_sent_text', amount, dest, String(reply.error?.message ?? ''));
  }
  const id = `${NOTICE_PREFIX}${Date.now()}:${Math.random().toString(36).slice(2, 8)}`;
  shown.push({ id, title, message });
  await chrome.notifications.create(id, {
    type: 'basic',
    iconUrl: chrome.runtime.getURL('ext/icons/icon-128.png'),
    title,
    message,
    contextMessage: (await storeName(msg.store).catch(() => '')) || t('sw_notice_open'),
    priority: 2,
  });
}

/** A click on one of these notifications: the console's Send screen in a tab. @param {string} id */
export async function noticeClicked(id) {
  if (!id.startsWith(NOTICE_PREFIX)) return false;
  await chrome.tabs.create({ url: chrome.runtime.getURL('ext/tab.html#send') });
  await chrome.notifications.clear(id);
  return true;
}
