//go:build !unix

package check

// maxRSS is 0 where getrusage does not exist: unknown.
func maxRSS() uint64 { return 0 }
