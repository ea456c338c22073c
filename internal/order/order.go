// Package order sorts slices without package sort.
//
// Package sort's code and reflectlite's swapper cost the wasm builds (the bridge and the gateway)
// about 4 KB of gzip, against their 1.2 MB budget; this is one small merge sort of indices, and
// each element type adds only the copy in Stable.
package order

// Stable sorts s in place by less, keeping the order of equal elements (a merge sort,
// O(n log n) comparisons).
func Stable[T any](s []T, less func(a, b *T) bool) {
	if len(s) < 2 {
		return
	}
	p := perm(len(s), func(i, j int) bool { return less(&s[i], &s[j]) })
	c := make([]T, len(s))
	for k, i := range p {
		c[k] = s[i]
	}
	copy(s, c)
}

// Strings sorts s in byte order.
func Strings(s []string) {
	Stable(s, func(a, b *string) bool { return *a < *b })
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
