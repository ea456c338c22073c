package errtext

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestSameAsFmt(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Prefix("wallex login: ", io.EOF).Error(), fmt.Errorf("wallex login: %w", io.EOF).Error()},
		{Wrap(io.EOF, Of(io.EOF)+": x "+Q("a\"b\n")+" "+D(-42)).Error(), fmt.Errorf("%w: x %q %d", io.EOF, "a\"b\n", -42).Error()},
		{Of(nil), fmt.Sprintf("%v", error(nil))},
		{D(int64(1) << 62), fmt.Sprintf("%d", int64(1)<<62)},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if !errors.Is(Prefix("x: ", io.EOF), io.EOF) || !errors.Is(Wrap(io.EOF, "y"), io.EOF) {
		t.Error("Wrap and Prefix must wrap")
	}
}
