// Types of @wallexkit/core. The option and result types are the core's own (core.d.ts, the
// same file as wasm/bridge/wallexkit.d.ts in the wallexkit repository).
import type {
  WallexKit, ConfigureOptions, WallexError as WallexErrorFields, PayoutFile, PayoutOptions, FiatValue, PaymentUri, Rates, WithdrawalSplit,
} from './core';

export * from './core';

/** An error from the core, a real Error: `code`, `retryable`, and for money calls `opId`, `nonce`,
 * `sentAtMs`, `deadlineMs` (outcome_unknown: reconcile, never resend). */
export declare class WallexError extends Error implements WallexErrorFields {
  name: 'WallexError';
  code: WallexErrorFields['code'];
  retryable: boolean;
  [field: string]: unknown;
}

/** Everything a client does: the core's functions for one key (or one gateway token). */
export type Client = Omit<WallexKit, 'version' | 'configure' | 'checkAddress' | 'withdrawalSplit' | 'newReference' | 'fiatValue' | 'fiatValues' | 'fiatTotal' | 'paymentUri' | 'payoutParse'> & {
  /** The key of this client's tokens, nonces and operation records in its storage. */
  readonly storeKey: string;
  /** Releases the client in the core; calling it afterwards throws. */
  close(): void;
};

/** Starts the core once (every function calls it); pass `wasm` where the file cannot be found next to this module. */
export declare function init(options?: { wasm?: WebAssembly.Module | BufferSource | Response | URL | string }): Promise<void>;
/** An independent client; nonces are on unless `nonce: false`. */
export declare function createClient(options: ConfigureOptions): Promise<Client>;

export interface VerifyIpnOptions {
  /** The request body exactly as received. */
  body: string | Uint8Array;
  /** The HMAC request header. */
  hmac: string;
  merchantId: string;
  /** Your IPN secret; during a rotation pass `secrets` (new first). */
  secret?: string;
  secrets?: string[];
}

/** A verified IPN, with the wire's field names. */
export interface Ipn {
  ipn_id: string;
  ipn_type: 'api' | 'deposit' | 'withdrawal' | string;
  merchant: string;
  status: number;
  status_text: string;
  /** paid (a withdrawal: complete), pending or failed, by the core's rule. */
  state: 'paid' | 'pending' | 'failed';
  /** The payment it is about: txn_id, deposit_id or withdrawal id. */
  key: string;
  fields: Record<string, string>;
  api?: { txn_id: string; currency1: string; currency2: string; amount1: string; amount2: string; fee: string; buyer_name: string; email: string; item_name: string; item_number: string; invoice: string; custom: string; received_amount: string; received_confirms: number };
  deposit?: { deposit_id: string; txn_id: string; address: string; dest_tag: string; currency: string; confirms: number; amount: string; amounti: number; fee: string; feei: number };
  withdrawal?: { id: string; txn_id: string; address: string; currency: string; amount: string; amounti: number };
}

/** Checks an IPN's HMAC (constant time), mode, merchant and fields; rejects with code invalid_input and field "ipn" when it must not be trusted. */
export declare function verifyIpn(options: VerifyIpnOptions): Promise<Ipn>;
export declare function checkAddress(coin: string, address: string): Promise<{ ok: boolean; problem?: string }>;
export declare function withdrawalSplit(options: { amount: string; fee?: string; addTxFee?: boolean }): Promise<WithdrawalSplit>;
export declare function newReference(): Promise<string>;
export declare function paymentUri(options: { coin: string; address: string; amount: string }): Promise<PaymentUri>;
export declare function fiatValue(options: { coin: string; amount: string; fiat: string; rates: Rates }): Promise<FiatValue>;
export declare function fiatValues(options: { items: { coin: string; amount: string }[]; fiat: string; rates: Rates }): Promise<(FiatValue | { error: string })[]>;
export declare function fiatTotal(options: { items: { coin: string; amount: string }[]; fiat: string; rates: Rates }): Promise<FiatValue>;
export declare function payoutParse(text: string, options?: PayoutOptions): Promise<PayoutFile>;
export declare function version(): Promise<string>;
