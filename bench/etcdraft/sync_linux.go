package etcdraft

import (
	"os"
	"syscall"
)

// fdatasync flushes the file's data and the metadata needed to read it;
// etcd's WAL uses fdatasync on Linux for the same reason.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }

// preallocate reserves [off, off+n) and extends the file to cover it, so
// later writes there change no file size.
func preallocate(f *os.File, off, n int64) error {
	err := syscall.Fallocate(int(f.Fd()), 0, off, n)
	if err == syscall.EOPNOTSUPP || err == syscall.ENOSYS {
		return f.Truncate(off + n)
	}
	return err
}
