package wallexkit_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/wallexkit/wallexkit"
	"github.com/wallexkit/wallexkit/core"
	"github.com/wallexkit/wallexkit/sandbox"
)

func ExampleNew() {
	// A local sandbox stands in for Wallex Pay here; leave WithAPIURL out for the real API.
	sb, _ := sandbox.New(sandbox.Config{})
	defer sb.Close()
	ts := httptest.NewServer(sb.Handler())
	defer ts.Close()

	c, err := wallexkit.New(sb.Demo().PublicKey, sb.Demo().PrivateKey, core.WithAPIURL(ts.URL+"/api"))
	if err != nil {
		panic(err)
	}
	bal, err := c.Balances(context.Background(), nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("BTC", bal.Get("BTC"))
	// Output: BTC 1.50000000
}
