//go:build !linux

package kvbench

import (
	"os"
	"time"
)

func selfCPU() (time.Duration, bool) { return 0, false }

func filesystem(string) string { return "unknown" }

// datasync falls back to fsync where fdatasync is not exposed.
func datasync(f *os.File) error { return f.Sync() }
