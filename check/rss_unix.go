//go:build unix

package check

import (
	"runtime"
	"syscall"
)

// maxRSS is the peak resident memory of this process, from getrusage:
// ru_maxrss is in kilobytes, except on Apple systems (bytes).
func maxRSS() uint64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil || ru.Maxrss <= 0 {
		return 0
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return uint64(ru.Maxrss)
	}
	return uint64(ru.Maxrss) * 1024
}
