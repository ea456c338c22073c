// Command wasmsize tells what a Go wasm binary carries: the size of its functions' code, grouped
// by Go package (from the wasm "name" section, so build without -s -w for this), with each
// package's gzip -9 size when its code is compressed on its own, plus the data segments (type
// descriptors, strings, pclntab) as one line.
//
//	GOOS=js GOARCH=wasm go build -trimpath -o /tmp/x.wasm ./wasm/bridge
//	go run ./wasm/test/wasmsize [-top 40] [-funcs PKG] /tmp/x.wasm
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

func main() {
	top := flag.Int("top", 40, "packages to list")
	funcs := flag.String("funcs", "", "list the largest functions of this package instead")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: wasmsize [-top N] [-funcs PKG] file.wasm")
		os.Exit(2)
	}
	b, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	m, err := parse(b)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *funcs != "" {
		type fn struct {
			name string
			size int
		}
		var fs []fn
		for i, body := range m.bodies {
			name := m.names[m.imported+i]
			if pkgOf(name) == *funcs {
				fs = append(fs, fn{name, len(body)})
			}
		}
		sort.Slice(fs, func(i, j int) bool { return fs[i].size > fs[j].size })
		for i, f := range fs {
			if i >= *top {
				break
			}
			fmt.Printf("%8d  %s\n", f.size, f.name)
		}
		return
	}
	type pkg struct {
		name string
		code []byte
		n    int
	}
	byPkg := map[string]*pkg{}
	for i, body := range m.bodies {
		p := pkgOf(m.names[m.imported+i])
		if byPkg[p] == nil {
			byPkg[p] = &pkg{name: p}
		}
		byPkg[p].code = append(byPkg[p].code, body...)
		byPkg[p].n++
	}
	ps := make([]*pkg, 0, len(byPkg))
	codeTotal := 0
	for _, p := range byPkg {
		ps = append(ps, p)
		codeTotal += len(p.code)
	}
	sort.Slice(ps, func(i, j int) bool { return len(ps[i].code) > len(ps[j].code) })
	fmt.Printf("file %d bytes, gzip -9 %d; code %d bytes in %d functions; data %d bytes (gzip -9 %d)\n\n",
		len(b), gz(b), codeTotal, len(m.bodies), len(m.data), gz(m.data))
	fmt.Printf("| package | functions | code bytes | code gzip -9 (alone) |\n|---|---:|---:|---:|\n")
	rest, restGz, restN := 0, 0, 0
	for i, p := range ps {
		if i < *top {
			fmt.Printf("| %s | %d | %d | %d |\n", p.name, p.n, len(p.code), gz(p.code))
			continue
		}
		rest += len(p.code)
		restGz += gz(p.code)
		restN += p.n
	}
	if rest > 0 {
		fmt.Printf("| (%d more packages) | %d | %d | %d |\n", len(ps)-*top, restN, rest, restGz)
	}
}

// pkgOf returns the package of a function name as the Go linker writes it into the name
// section: "/" and "." in the import path become "_" ("encoding_json.Unmarshal",
// "github_com_tidwall_gjson.Get", sometimes "github.com_tidwall_gjson.Get").
func pkgOf(name string) string {
	if name == "" {
		return "(unnamed)"
	}
	rest := name
	prefix := ""
	for _, host := range []string{"github.com", "golang.org"} {
		if strings.HasPrefix(rest, host) {
			prefix, rest = host, rest[len(host):]
		}
	}
	if strings.HasPrefix(rest, "type_.") || strings.HasPrefix(rest, "type:") {
		return "(type algorithms)"
	}
	dot := strings.IndexByte(rest, '.')
	if dot < 0 {
		return name
	}
	return strings.ReplaceAll(prefix+rest[:dot], "_", "/")
}

func gz(b []byte) int {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Len()
}

type module struct {
	imported int            // imported functions (they come first in the function index space)
	bodies   [][]byte       // defined functions' bodies
	names    map[int]string // function index -> name
	data     []byte         // every data segment's bytes
}

func parse(b []byte) (*module, error) {
	if len(b) < 8 || string(b[:4]) != "\x00asm" {
		return nil, errors.New("not a wasm file")
	}
	m := &module{names: map[int]string{}}
	r := &reader{b: b, i: 8}
	for r.i < len(r.b) {
		id := r.byte()
		size := int(r.uleb())
		sec := &reader{b: r.b[r.i : r.i+size]}
		r.i += size
		switch id {
		case 2: // imports
			for n := int(sec.uleb()); n > 0; n-- {
				sec.name()
				sec.name()
				switch sec.byte() {
				case 0:
					sec.uleb()
					m.imported++
				case 1:
					sec.byte()
					limits(sec)
				case 2:
					limits(sec)
				case 3:
					sec.byte()
					sec.byte()
				}
			}
		case 10: // code
			for n := int(sec.uleb()); n > 0; n-- {
				sz := int(sec.uleb())
				m.bodies = append(m.bodies, sec.b[sec.i:sec.i+sz])
				sec.i += sz
			}
		case 11: // data
			for n := int(sec.uleb()); n > 0; n-- {
				switch sec.uleb() {
				case 0:
					skipExpr(sec)
				case 1:
				case 2:
					sec.uleb()
					skipExpr(sec)
				}
				sz := int(sec.uleb())
				m.data = append(m.data, sec.b[sec.i:sec.i+sz]...)
				sec.i += sz
			}
		case 0: // custom
			if sec.name() != "name" {
				continue
			}
			for sec.i < len(sec.b) {
				sub := sec.byte()
				sz := int(sec.uleb())
				if sub != 1 {
					sec.i += sz
					continue
				}
				for n := int(sec.uleb()); n > 0; n-- {
					idx := int(sec.uleb())
					m.names[idx] = sec.name()
					if os.Getenv("WASMSIZE_DUMP") != "" {
						fmt.Println(m.names[idx])
					}
				}
			}
		}
	}
	if len(m.names) == 0 {
		return nil, errors.New("no name section: build without -ldflags=-s -w")
	}
	return m, nil
}

func limits(r *reader) {
	if r.byte()&1 == 1 {
		r.uleb()
	}
	r.uleb()
}

// skipExpr skips a constant expression (i32.const/i64.const/global.get N, then end).
func skipExpr(r *reader) {
	for {
		switch r.byte() {
		case 0x0b:
			return
		case 0x41, 0x42, 0x23:
			r.uleb() // the LEB128 bytes; signedness does not matter for skipping
		}
	}
}

type reader struct {
	b []byte
	i int
}

func (r *reader) byte() byte { c := r.b[r.i]; r.i++; return c }

func (r *reader) uleb() uint64 {
	v, n := binary.Uvarint(r.b[r.i:])
	r.i += n
	return v
}

func (r *reader) name() string {
	n := int(r.uleb())
	s := string(r.b[r.i : r.i+n])
	r.i += n
	return s
}
