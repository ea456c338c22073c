module github.com/wallexkit/wallexkit

go 1.26

require (
	github.com/spf13/cobra v1.10.2
	github.com/spf13/pflag v1.0.9
	github.com/syumai/workers v0.32.0
	github.com/tidwall/gjson v1.18.0
	go.etcd.io/bbolt v1.4.3
	golang.org/x/term v0.28.0
)

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/tidwall/match v1.1.1 // indirect
	github.com/tidwall/pretty v1.2.0 // indirect
	golang.org/x/sys v0.29.0 // indirect
)

replace github.com/tidwall/pretty => ./third_party/tidwall/pretty
