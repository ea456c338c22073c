package core

// Version is the release of wallexkit this core belongs to (see CHANGELOG.md). The CLI, the wasm
// bridge and the default User-Agent report it.
const Version = "0.2.0"
