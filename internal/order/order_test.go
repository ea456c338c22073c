package order

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

type item struct {
	key, seq int
}

// Slice orders as sort.SliceStable does, equal keys in their first order, for every length
// around the merge's widths and for 10,000 items.
func TestStableMatchesSortSliceStable(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(n, keys int) {
		s := make([]item, n)
		for i := range s {
			s[i] = item{r.IntN(keys), i}
		}
		want := slices.Clone(s)
		sort.SliceStable(want, func(i, j int) bool { return want[i].key < want[j].key })
		Slice(len(s), func(i, j int) bool { return s[i].key < s[j].key }, func(i, j int) { s[i], s[j] = s[j], s[i] })
		if !slices.Equal(s, want) {
			t.Fatalf("n=%d: got %v, want %v", n, s, want)
		}
	}
	for n := 0; n <= 70; n++ {
		for round := 0; round < 20; round++ {
			check(n, 5)
		}
	}
	check(10000, 1000)
}

func TestStrings(t *testing.T) {
	s := []string{"nonce", "cmd", "key", "amount", "", "cmd", "Z"}
	Strings(s)
	if want := []string{"", "Z", "amount", "cmd", "cmd", "key", "nonce"}; !slices.Equal(s, want) {
		t.Fatalf("got %q, want %q", s, want)
	}
}
