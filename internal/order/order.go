// Package order sorts slices without package sort.
//
// Package sort's code and reflectlite's swapper cost the wasm builds (the bridge and the gateway)
// about 5 KB of gzip, against their 1.2 MB budget. This is one merge sort of indices and one
// permutation by swaps, neither generic: a call adds only its two small closures.
package order

// Slice sorts the n elements that less and swap address, keeping the order of equal elements (a
// merge sort: O(n log n) comparisons, at most n swaps), as sort.SliceStable does.
func Slice(n int, less func(i, j int) bool, swap func(i, j int)) {
	if n < 2 {
		return
	}
	p := perm(n, less) // position k takes the element first at p[k]
	// at[k]: which element (by first position) is at k now; pos: its inverse
	at := make([]int, n)
	pos := make([]int, n)
	for i := range at {
		at[i], pos[i] = i, i
	}
	for k, want := range p {
		if cur := pos[want]; cur != k {
			swap(k, cur)
			moved := at[k]
			at[cur], pos[moved] = moved, cur
			at[k], pos[want] = want, k
		}
	}
}

// Strings sorts s in byte order.
func Strings(s []string) {
	Slice(len(s), func(i, j int) bool { return s[i] < s[j] }, func(i, j int) { s[i], s[j] = s[j], s[i] })
}

// perm returns 0..n-1 in the stable order of less(i, j), by a bottom-up merge sort.
func perm(n int, less func(i, j int) bool) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	tmp := make([]int, n)
	for w := 1; w < n; w *= 2 {
		for lo := 0; lo < n; lo += 2 * w {
			mid, hi := min(lo+w, n), min(lo+2*w, n)
			i, j, k := lo, mid, lo
			for i < mid && j < hi {
				if less(p[j], p[i]) { // a right element goes first only when strictly less: stable
					tmp[k] = p[j]
					j++
				} else {
					tmp[k] = p[i]
					i++
				}
				k++
			}
			k += copy(tmp[k:], p[i:mid])
			copy(tmp[k:], p[j:hi])
		}
		p, tmp = tmp, p
	}
	return p
}
