package core

import (
	"testing"
)

func TestValueTolerance(t *testing.T) {
	v := ParseValue([]byte(`{"a":"10000000","b":10000000,"c":0.10000000,"d":"0.10000000","e":[],"f":"1","g":0,"h":null,"weird.key":"x"}`))
	for _, p := range []string{"a", "b"} {
		if n, err := v.Get(p).Int(); err != nil || n != 10000000 {
			t.Errorf("Int(%s) = %d %v", p, n, err)
		}
	}
	for _, p := range []string{"c", "d"} {
		if a, err := v.Get(p).Amount(); err != nil || a.Units() != 10000000 {
			t.Errorf("Amount(%s) = %v %v", p, a, err)
		}
	}
	if v.Get("e.x").Exists() || v.Get("e").Get("address").Text() != "" {
		t.Error("[] where an object was expected should read as empty")
	}
	if !v.Get("f").Bool() || v.Get("g").Bool() {
		t.Error("Bool")
	}
	if v.Get("h").Exists() {
		t.Error("null should not exist")
	}
	if _, err := v.Get("h").Int(); err == nil {
		t.Error("Int of null should fail")
	}
	if v.Member("weird.key").Text() != "x" {
		t.Error("Member with a dot")
	}
	if _, err := v.Get("e").Amount(); err == nil {
		t.Error("Amount of [] should fail")
	}
}
