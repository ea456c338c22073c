//go:build !unix

package filestore

import (
	"os"
	"sync"
)

// Without flock the lock only serialises this process: one mutex per lock file path.
var (
	locksMu sync.Mutex
	locks   = map[string]*sync.Mutex{}
)

func lockExclusive(f *os.File) error {
	locksMu.Lock()
	m := locks[f.Name()]
	if m == nil {
		m = &sync.Mutex{}
		locks[f.Name()] = m
	}
	locksMu.Unlock()
	m.Lock()
	return nil
}

func unlockFile(f *os.File) {
	locksMu.Lock()
	m := locks[f.Name()]
	locksMu.Unlock()
	if m != nil {
		m.Unlock()
	}
}

// tryLock takes the lock of f's path or fails at once.
func tryLock(f *os.File) error {
	locksMu.Lock()
	m := locks[f.Name()]
	if m == nil {
		m = &sync.Mutex{}
		locks[f.Name()] = m
	}
	locksMu.Unlock()
	if !m.TryLock() {
		return os.ErrExist
	}
	return nil
}
