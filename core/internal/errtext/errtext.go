// Package errtext builds core's error messages without package fmt: fmt's printer (with reflect
// behind it) is about 0.1 MB of every WebAssembly build that links it, and core's messages only
// need strings, quoted strings and integers. Messages read exactly as the fmt versions did.
package errtext

import "strconv"

// wrapped is what fmt.Errorf returns for a format with one %w: its text, and the error it wraps.
type wrapped struct {
	text string
	err  error
}

func (e *wrapped) Error() string { return e.text }
func (e *wrapped) Unwrap() error { return e.err }

// Wrap returns an error with text that wraps err (errors.Is and errors.As see err), as
// fmt.Errorf("...%w...", err) does.
func Wrap(err error, text string) error { return &wrapped{text: text, err: err} }

// Prefix is Wrap(err, prefix + Of(err)): fmt.Errorf(prefix + "%w", err).
func Prefix(prefix string, err error) error { return &wrapped{text: prefix + Of(err), err: err} }

// Of is err's text as fmt's %v and %w print it: "<nil>" for nil, "%!w(<nil>)" is not needed.
func Of(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// Q is fmt's %q of a string.
func Q(s string) string { return strconv.Quote(s) }

// D is fmt's %d of an integer.
func D[T ~int | ~int64 | ~int32](n T) string { return strconv.FormatInt(int64(n), 10) }
