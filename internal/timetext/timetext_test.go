package timetext

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var locations = []*time.Location{time.UTC, time.FixedZone("", 3600), time.FixedZone("XYZ", -5*3600-1800)}

func init() {
	if ny, err := time.LoadLocation("America/New_York"); err == nil {
		locations = append(locations, ny)
	}
}

// same reports how parse differs from time.ParseInLocation on value ("" when it does not).
func same(l Layout, value string, loc *time.Location) string {
	got, err := parse(l, value, loc)
	want, werr := time.ParseInLocation(layouts[l], value, loc)
	if (err == nil) != (werr == nil) {
		return "error " + errText(err) + ", time's " + errText(werr)
	}
	if err != nil {
		return ""
	}
	gn, go_ := got.Zone()
	wn, wo := want.Zone()
	if !got.Equal(want) || gn != wn || go_ != wo || got.Location().String() != want.Location().String() || got.Nanosecond() != want.Nanosecond() {
		return "got " + got.String() + " (" + got.Location().String() + "), time's " + want.String() + " (" + want.Location().String() + ")"
	}
	return ""
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

var values = []string{
	"", " ", "2020-08-16 13:28:32", "2020-08-16  13:28:32", "2020-08-16T13:28:32", "2020-08-16 3:28:32", "2020-08-16T3:28:32",
	"2020-08-16 13:28:32.5", "2020-08-16 13:28:32,123456789", "2020-08-16 13:28:32.1234567891234", "2020-08-16 13:28:32.",
	"2020-08-16 13:28:32.x", "2020-08-16 13:28:32Z", "2020-08-16T13:28:32Z", "2020-08-16T13:28:32.000Z", "2020-08-16T13:28:32+01:00",
	"2020-08-16T13:28:32-05:30", "2020-08-16T13:28:32+24:00", "2020-08-16T13:28:32+25:00", "2020-08-16T13:28:32+00:60",
	"2020-08-16T13:28:32+00:61", "2020-08-16T13:28:32+0100", "2020-08-16T13:28:32 +01:00", "2020-08-16T13:28:32z",
	"2020-08-16T13:28:32Z ", "2020-02-29 00:00:00", "2021-02-29 00:00:00", "1900-02-29 00:00:00", "2000-02-29 00:00:00",
	"2020-04-31 00:00:00", "2020-00-10 00:00:00", "2020-13-10 00:00:00", "2020-01-00 00:00:00", "2020-01-32 00:00:00",
	"2020-01-01 24:00:00", "2020-01-01 23:60:00", "2020-01-01 23:59:60", "2020-1-01 00:00:00", "2020-01-1 00:00:00",
	"20-01-01 00:00:00", "+020-01-01 00:00:00", "0000-01-01 00:00:00", "9999-12-31 23:59:59", "2020-01-01 0:00:00",
	"2020-01-01 000:00:00", "2020-01-01 00:0:00", "2020-01-01 00:00:0", "2020-01-01 00:00:000", "2020-01-01\t00:00:00",
	"2020-03-08T02:30:00-05:00", "2020-03-08T02:30:00-04:00", "2020-11-01T01:30:00-04:00", "2020-11-01T01:30:00-05:00",
	"2020-08-16T13:28:32.123-00:00", "2020-08-16T13:28:32,5Z", "2020-08-16T13:28:32.5.5Z", "1",
}

func TestSameAsTime(t *testing.T) {
	for _, l := range []Layout{Space, T, RFC3339} {
		for _, loc := range locations {
			for _, v := range values {
				if d := same(l, v, loc); d != "" {
					t.Errorf("%s %q in %s: %s", l, v, loc, d)
				}
			}
		}
	}
	if RFC3339.String() != time.RFC3339 || Space.String() != "2006-01-02 15:04:05" {
		t.Error("layout names")
	}
}

// RFC3339Nano reads as RFC3339 does (what the bridge stores is written with it).
func TestRFC3339Nano(t *testing.T) {
	for _, v := range values {
		for _, loc := range locations {
			a, err := time.ParseInLocation(time.RFC3339Nano, v, loc)
			b, err2 := time.ParseInLocation(time.RFC3339, v, loc)
			if (err == nil) != (err2 == nil) || err == nil && !a.Equal(b) {
				t.Errorf("%q: RFC3339Nano %v %v, RFC3339 %v %v", v, a, err, b, err2)
			}
		}
	}
}

func TestSameAsTimeRandom(t *testing.T) {
	pieces := []string{"2020", "1999", "0", "1", "2", "9", "12", "29", "31", "60", "-", ":", "T", " ", "  ", ".", ",", "Z", "+", "-0",
		"01:00", "24:60", "5", "123456789", "2020-02-29", "23:59:59", "08:00:00", "x"}
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 100000; i++ {
		var b strings.Builder
		if r.IntN(2) == 0 {
			b.WriteString([]string{"2020-08-16 ", "2020-08-16T", "2000-02-29T", "2020-01-01 "}[r.IntN(4)])
		}
		for n := r.IntN(8); n >= 0; n-- {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		v := b.String()
		l := Layout(r.IntN(3))
		loc := locations[r.IntN(len(locations))]
		if d := same(l, v, loc); d != "" {
			t.Fatalf("%s %q in %s: %s", l, v, loc, d)
		}
	}
}

func FuzzSameAsTime(f *testing.F) {
	for _, v := range values {
		f.Add(v, uint8(0))
	}
	f.Fuzz(func(t *testing.T, v string, which uint8) {
		l := Layout(which % 3)
		loc := locations[int(which/3)%len(locations)]
		if d := same(l, v, loc); d != "" {
			t.Fatalf("%s %q in %s: %s", l, v, loc, d)
		}
	})
}
