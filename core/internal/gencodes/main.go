// Command gencodes writes the JS copies of core's error codes and statuses:
// web/lib/codes.gen.js and wasm/bridge/codes.gen.d.ts. Run it with `go generate ./core`;
// core's tests fail when the files on disk differ from what it would write.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/wallexkit/wallexkit/core/internal/gencodes/gen"
)

func main() {
	root, err := repoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencodes:", err)
		os.Exit(1)
	}
	for path, data := range gen.Files() {
		if err := os.WriteFile(filepath.Join(root, path), data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gencodes:", err)
			os.Exit(1)
		}
	}
}

// repoRoot is the directory holding go.mod, from the working directory up.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
