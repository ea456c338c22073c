package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Records. Every record is stored as JSON in its own bbolt bucket, keyed by
// its id. The in-memory maps are the working copy; the bbolt file (when
// configured) is written first, in one transaction per mutation, and only
// then is the memory updated, so memory never runs ahead of disk.

type account struct {
	MerchantID   string            `json:"merchant_id"`
	Username     string            `json:"username"`
	Email        string            `json:"email"`
	PublicName   string            `json:"public_name"`
	IPNURL       string            `json:"ipn_url,omitempty"`
	IPNSecret    string            `json:"ipn_secret,omitempty"`
	Balances     map[string]int64  `json:"balances"`
	DepositAddrs map[string]string `json:"deposit_addrs"` // coin -> address
	Created      int64             `json:"created"`
}

func (a *account) clone() *account {
	c := *a
	c.Balances = maps.Clone(a.Balances)
	if c.Balances == nil {
		c.Balances = map[string]int64{}
	}
	c.DepositAddrs = maps.Clone(a.DepositAddrs)
	if c.DepositAddrs == nil {
		c.DepositAddrs = map[string]string{}
	}
	return &c
}

type apiKey struct {
	Public     string   `json:"public"`
	Private    string   `json:"private"`
	MerchantID string   `json:"merchant_id"`
	AllPerms   bool     `json:"all_perms"`
	Perms      []string `json:"perms"`
	NonceUsed  bool     `json:"nonce_used"`
	LastNonce  uint64   `json:"last_nonce"`
	Created    int64    `json:"created"`
	Seq        uint64   `json:"seq"`
}

func (k *apiKey) clone() *apiKey {
	c := *k
	c.Perms = slices.Clone(k.Perms)
	return &c
}

func (k *apiKey) allowed(cmd string) bool {
	return k.AllPerms || slices.Contains(k.Perms, cmd)
}

func (k *apiKey) permList() []string {
	if k.AllPerms {
		return allCommandNames()
	}
	out := slices.Clone(k.Perms)
	if out == nil {
		out = []string{}
	}
	return out
}

type tokenRec struct {
	Hash    string `json:"hash"` // sha256 hex of the token; the token itself is never stored
	Key     string `json:"key"`
	Expires int64  `json:"expires"` // unix nanoseconds
}

type addressRec struct {
	Address    string `json:"address"`
	MerchantID string `json:"merchant_id"`
	Coin       string `json:"coin"`
	Kind       string `json:"kind"`             // "deposit", "callback" or "payment"
	TxnID      string `json:"txn_id,omitempty"` // payment addresses: the transaction
	IPNURL     string `json:"ipn_url,omitempty"`
	Label      string `json:"label,omitempty"`
	Created    int64  `json:"created"`
}

type txRec struct {
	TxnID          string `json:"txn_id"`
	MerchantID     string `json:"merchant_id"`
	Seq            uint64 `json:"seq"`
	Created        int64  `json:"created"`
	Expires        int64  `json:"expires"`
	Status         int    `json:"status"`
	Currency1      string `json:"currency1"`
	Currency2      string `json:"currency2"`
	Amount1        int64  `json:"amount1"`
	Amount2        int64  `json:"amount2"`
	Received       int64  `json:"received"`
	RecvConfirms   int    `json:"recv_confirms"`
	ConfirmsNeeded int    `json:"confirms_needed"`
	Timeout        int    `json:"timeout"`
	Address        string `json:"address"`
	PayoutAddress  string `json:"payout_address,omitempty"`
	BuyerEmail     string `json:"buyer_email"`
	BuyerName      string `json:"buyer_name,omitempty"`
	ItemName       string `json:"item_name,omitempty"`
	ItemNumber     string `json:"item_number,omitempty"`
	Invoice        string `json:"invoice,omitempty"`
	Custom         string `json:"custom,omitempty"`
	IPNURL         string `json:"ipn_url,omitempty"`
	SuccessURL     string `json:"success_url,omitempty"`
	CancelURL      string `json:"cancel_url,omitempty"`
	Credited       bool   `json:"credited"`
}

type withdrawalRec struct {
	ID          string `json:"id"`
	MerchantID  string `json:"merchant_id"`
	Kind        string `json:"kind"` // "withdrawal" or "transfer"
	Seq         uint64 `json:"seq"`
	Created     int64  `json:"created"`
	Status      int    `json:"status"`
	Coin        string `json:"coin"`
	Amount      int64  `json:"amount"`
	Debited     int64  `json:"debited"` // amount plus fee when add_tx_fee=1
	Address     string `json:"address,omitempty"`
	DestTag     string `json:"dest_tag,omitempty"`
	ToMerchant  string `json:"to_merchant,omitempty"`
	Note        string `json:"note,omitempty"`
	IPNURL      string `json:"ipn_url,omitempty"`
	SendTxID    string `json:"send_txid,omitempty"`
	MassBatchID string `json:"mass_batch,omitempty"`
}

type conversionRec struct {
	ID         string `json:"id"`
	MerchantID string `json:"merchant_id"`
	Created    int64  `json:"created"`
	From       string `json:"from"`
	To         string `json:"to"`
	AmountFrom int64  `json:"amount_from"`
	AmountTo   int64  `json:"amount_to"`
}

type depositRec struct {
	ID         string `json:"id"`
	MerchantID string `json:"merchant_id"`
	Created    int64  `json:"created"`
	Address    string `json:"address"`
	Coin       string `json:"coin"`
	Amount     int64  `json:"amount"`
	TxID       string `json:"txid"`
	Confirms   int    `json:"confirms"`
	Status     int    `json:"status"`
}

type metaRec struct {
	Seq          uint64 `json:"seq"`
	DemoMerchant string `json:"demo_merchant"`
	DemoKey      string `json:"demo_key"`
}

const (
	bAccounts    = "accounts"
	bKeys        = "keys"
	bTokens      = "tokens"
	bAddresses   = "addresses"
	bTxs         = "transactions"
	bWithdrawals = "withdrawals"
	bConversions = "conversions"
	bDeposits    = "deposits"
	bMeta        = "meta"
)

var allBuckets = []string{bAccounts, bKeys, bTokens, bAddresses, bTxs, bWithdrawals, bConversions, bDeposits, bMeta}

// state is the working copy of every record. Guarded by Server.mu.
type state struct {
	accounts    map[string]*account
	keys        map[string]*apiKey
	tokens      map[string]*tokenRec
	addresses   map[string]*addressRec
	txs         map[string]*txRec
	withdrawals map[string]*withdrawalRec
	conversions map[string]*conversionRec
	deposits    map[string]*depositRec
	meta        metaRec
}

func newState() *state {
	return &state{
		accounts:    map[string]*account{},
		keys:        map[string]*apiKey{},
		tokens:      map[string]*tokenRec{},
		addresses:   map[string]*addressRec{},
		txs:         map[string]*txRec{},
		withdrawals: map[string]*withdrawalRec{},
		conversions: map[string]*conversionRec{},
		deposits:    map[string]*depositRec{},
	}
}

// change is one record write (val != nil) or delete (val == nil).
type change struct {
	bucket string
	key    string
	val    any
}

func put(bucket, key string, val any) change { return change{bucket, key, val} }
func del(bucket, key string) change          { return change{bucket: bucket, key: key} }

// commit writes the changes to disk in one transaction, then to memory.
// Callers hold s.mu and pass fresh (cloned) records, never ones they
// mutated in place, so a failed write leaves memory untouched.
func (s *Server) commit(changes ...change) error {
	if s.cfg.DataPath != "" && s.db == nil {
		return errors.New("sandbox store: closed")
	}
	if s.db != nil {
		err := s.db.Update(func(tx *bolt.Tx) error {
			for _, c := range changes {
				b := tx.Bucket([]byte(c.bucket))
				if b == nil {
					return fmt.Errorf("bucket %s missing", c.bucket)
				}
				if c.val == nil {
					if err := b.Delete([]byte(c.key)); err != nil {
						return err
					}
					continue
				}
				data, err := json.Marshal(c.val)
				if err != nil {
					return err
				}
				if err := b.Put([]byte(c.key), data); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("sandbox store: %w", err)
		}
	}
	for _, c := range changes {
		s.st.apply(c)
	}
	return nil
}

func (st *state) apply(c change) {
	if c.val == nil {
		switch c.bucket {
		case bAccounts:
			delete(st.accounts, c.key)
		case bKeys:
			delete(st.keys, c.key)
		case bTokens:
			delete(st.tokens, c.key)
		case bAddresses:
			delete(st.addresses, c.key)
		case bTxs:
			delete(st.txs, c.key)
		case bWithdrawals:
			delete(st.withdrawals, c.key)
		case bConversions:
			delete(st.conversions, c.key)
		case bDeposits:
			delete(st.deposits, c.key)
		}
		return
	}
	switch v := c.val.(type) {
	case *account:
		st.accounts[c.key] = v
	case *apiKey:
		st.keys[c.key] = v
	case *tokenRec:
		st.tokens[c.key] = v
	case *addressRec:
		st.addresses[c.key] = v
	case *txRec:
		st.txs[c.key] = v
	case *withdrawalRec:
		st.withdrawals[c.key] = v
	case *conversionRec:
		st.conversions[c.key] = v
	case *depositRec:
		st.deposits[c.key] = v
	case *metaRec:
		st.meta = *v
	default:
		panic(fmt.Sprintf("sandbox: unknown record type %T", c.val))
	}
}

// nextSeq reserves a sequence number; the returned change persists the
// counter. The counter moves in memory at once (a failed commit only leaves a
// gap), so several calls before one commit give distinct numbers.
func (s *Server) nextSeq() (uint64, change) {
	s.st.meta.Seq++
	m := s.st.meta
	return m.Seq, put(bMeta, "meta", &m)
}

// openStore opens (or creates) the bbolt file and loads every record.
func openStore(path string) (*bolt.DB, *state, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox: open %s: %w", path, err)
	}
	st := newState()
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = db.View(func(tx *bolt.Tx) error {
			return loadAll(tx, st)
		})
	}
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("sandbox: load %s: %w", path, err)
	}
	return db, st, nil
}

func loadAll(tx *bolt.Tx, st *state) error {
	load := func(bucket string, mk func() any) error {
		return tx.Bucket([]byte(bucket)).ForEach(func(k, v []byte) error {
			rec := mk()
			if err := json.Unmarshal(v, rec); err != nil {
				return fmt.Errorf("%s/%s: %w", bucket, k, err)
			}
			st.apply(change{bucket: bucket, key: string(k), val: rec})
			return nil
		})
	}
	steps := []struct {
		bucket string
		mk     func() any
	}{
		{bAccounts, func() any { return &account{} }},
		{bKeys, func() any { return &apiKey{} }},
		{bTokens, func() any { return &tokenRec{} }},
		{bAddresses, func() any { return &addressRec{} }},
		{bTxs, func() any { return &txRec{} }},
		{bWithdrawals, func() any { return &withdrawalRec{} }},
		{bConversions, func() any { return &conversionRec{} }},
		{bDeposits, func() any { return &depositRec{} }},
		{bMeta, func() any { return &metaRec{} }},
	}
	for _, step := range steps {
		if err := load(step.bucket, step.mk); err != nil {
			return err
		}
	}
	for _, a := range st.accounts {
		if a.Balances == nil {
			a.Balances = map[string]int64{}
		}
		if a.DepositAddrs == nil {
			a.DepositAddrs = map[string]string{}
		}
	}
	return nil
}
