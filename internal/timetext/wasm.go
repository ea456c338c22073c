//go:build js

package timetext

import "time"

// Parse reads value in layout l as time.ParseInLocation(l.String(), value, loc) does.
func Parse(l Layout, value string, loc *time.Location) (time.Time, error) {
	return parse(l, value, loc)
}
