package sandbox

import "testing"

func TestAdminLedgerReadsAndIndex(t *testing.T) {
	e := newEnv(t, Config{})
	m := e.merchant("reads", map[string]string{"ETH": "1"})
	txid := e.mok(m, "create_transaction", txForm("currency2", "ETH")).(map[string]any)["txn_id"].(string)
	var tx TxState
	if code := e.admin("GET", "/sandbox/tx/"+txid, nil, &tx); code != 200 || tx.TxnID != txid || tx.Coin != "ETH" || tx.Amount != "0.00400000" {
		t.Fatalf("get tx %d %+v", code, tx)
	}
	wid := e.mok(m, "create_withdrawal", vals("amount", "0.5", "currency", "ETH", "address", "0xabc")).(map[string]any)["id"].(string)
	var w WithdrawalState
	if code := e.admin("GET", "/sandbox/withdrawals/"+wid, nil, &w); code != 200 || w.Amount != "0.50000000" || w.Kind != "withdrawal" {
		t.Fatalf("get withdrawal %d %+v", code, w)
	}
	if code := e.admin("POST", "/sandbox/withdrawals/"+wid+"/confirm", nil, &w); code != 200 || w.Status != 1 {
		t.Fatalf("confirm %d %+v", code, w)
	}
	var idx map[string][]string
	if code := e.admin("GET", "/sandbox/", nil, &idx); code != 200 || len(idx["endpoints"]) < 20 {
		t.Fatalf("index %d %v", code, idx)
	}
}
