package core

import (
	"context"
	"iter"
	"strconv"
	"time"
)

// ListParams page through get_tx_ids and get_withdrawal_history.
type ListParams struct {
	PageSize int       // 1–100; 0 = 100
	Start    int       // offset of the first item
	Newer    time.Time // only items newer than this; zero = all
	All      bool      // get_tx_ids: include transactions of all types
	Limit    int       // stop after this many items; 0 = no limit
}

func (p *ListParams) page() (size, start int, err error) {
	size, start = 100, 0
	if p == nil {
		return size, start, nil
	}
	if p.PageSize != 0 {
		if p.PageSize < 1 || p.PageSize > 100 {
			return 0, 0, &ValidationError{Field: "limit", Value: strconv.Itoa(p.PageSize), Problem: "page size must be between 1 and 100"}
		}
		size = p.PageSize
	}
	if p.Start < 0 {
		return 0, 0, &ValidationError{Field: "start", Value: strconv.Itoa(p.Start), Problem: "must not be negative"}
	}
	return size, p.Start, nil
}

// paginate yields items page by page (newest first) until a short page, the Limit, or the
// caller stops. Items already seen (pages shift when new items arrive) are skipped. It and
// the iterators built on it are kept out of line: a range over an inlined iterator copies its
// body into each caller, which is code in the WebAssembly builds.
//
//go:noinline
func paginate[T any](ctx context.Context, c *Client, cmd string, p *ListParams, idOf func(T) string,
	decode func(Value) ([]T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		size, start, err := p.page()
		if err != nil {
			yield(zero, err)
			return
		}
		seen := map[string]bool{}
		n := 0
		for {
			f := Fields{"limit": strconv.Itoa(size), "start": strconv.Itoa(start)}
			if p != nil && !p.Newer.IsZero() {
				f["newer"] = strconv.FormatInt(p.Newer.Unix(), 10)
			}
			if p != nil && p.All {
				f["all"] = "1"
			}
			res, err := c.Call(ctx, cmd, f)
			if err != nil {
				yield(zero, err)
				return
			}
			items, err := decode(res.Result)
			if err != nil {
				yield(zero, &TransportError{Cmd: cmd, HTTPStatus: res.HTTPStatus, Err: err})
				return
			}
			for _, it := range items {
				// An item listed without its id cannot be told from another: it is kept (as a
				// duplicate at worst, never dropped as one).
				id := idOf(it)
				if id != "" && seen[id] {
					continue
				}
				seen[id] = true
				if !yield(it, nil) {
					return
				}
				n++
				if p != nil && p.Limit > 0 && n >= p.Limit {
					return
				}
			}
			if len(items) < size {
				return
			}
			start += len(items)
		}
	}
}
