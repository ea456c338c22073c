module github.com/wallexkit/wallexkit

go 1.26

require (
	github.com/syumai/workers v0.32.0
	github.com/tidwall/gjson v1.18.0
	go.etcd.io/bbolt v1.4.3
)

require (
	github.com/tidwall/match v1.1.1 // indirect
	github.com/tidwall/pretty v1.2.0 // indirect
	golang.org/x/sys v0.29.0 // indirect
)

replace github.com/tidwall/pretty => ./third_party/tidwall/pretty
