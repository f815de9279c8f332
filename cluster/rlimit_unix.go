//go:build unix

package cluster

import "syscall"

// fileLimit is this process's soft limit on open files (which the Go
// runtime raises to the hard limit at start-up).
func fileLimit() (uint64, bool) {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0, false
	}
	return r.Cur, true
}
