// Package web holds the merchant console's files (plain ES modules, HTML and CSS), embedded so
// that the CLI can serve the console itself ('wallexkit sandbox --console'). The wasm core is
// embedded from wasm/ when the build put it there (./build.sh build).
package web

import "embed"

// Files is the console: index.html (the dev page), icon.svg (its icon, also /favicon.ico), the modules, host/ (what runs beside the core:
// stores, storage, locks, the vault, the wasm loader, alerts), lib/, screens/, wasm/ and _locales/
// (the strings, Chrome's messages.json per locale: the page reads the same files as the extension).
//
//go:embed *.html *.js *.css *.svg host lib screens wasm _locales
var Files embed.FS
