package kvbench

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Probes are the machine's floor for the cells: no replicated write can
// beat one network round trip, and no durable one can beat one fsync.
type Probes struct {
	LoopbackRTT  time.Duration `json:"loopback_rtt_ns"`       // median TCP round trip of a 64-byte message on 127.0.0.1
	AppendFsync  time.Duration `json:"append_fsync_ns"`       // median of appending 4 KiB to a file and fsync
	PreallocSync time.Duration `json:"prealloc_fdatasync_ns"` // median of writing 4 KiB into an already written file and fdatasync
}

// Probe measures the loopback round trip and a 4 KiB fsync on dir's disk.
func Probe(dir string) (Probes, error) {
	var p Probes
	var err error
	if p.LoopbackRTT, err = loopbackRTT(2000); err != nil {
		return p, fmt.Errorf("loopback probe: %w", err)
	}
	if p.AppendFsync, p.PreallocSync, err = fsyncCost(dir, 200); err != nil {
		return p, fmt.Errorf("fsync probe: %w", err)
	}
	return p, nil
}

// loopbackRTT echoes a 64-byte message n times over one TCP connection.
func loopbackRTT(n int) (time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return 0, err
	}
	defer c.Close()
	msg := make([]byte, 64)
	got := make([]byte, 64)
	times := make([]time.Duration, 0, n)
	for i := range n + n/10 {
		t0 := time.Now()
		if _, err := c.Write(msg); err != nil {
			return 0, err
		}
		if _, err := io.ReadFull(c, got); err != nil {
			return 0, err
		}
		if i >= n/10 { // the first tenth warms up
			times = append(times, time.Since(t0))
		}
	}
	slices.Sort(times)
	return times[len(times)/2], nil
}

// fsyncCost times n appends of 4 KiB each followed by fsync, then n
// overwrites of those blocks each followed by fdatasync (the cheap case a
// preallocated write-ahead log aims for), and returns both medians.
func fsyncCost(dir string, n int) (appendSync, overwriteSync time.Duration, err error) {
	path := filepath.Join(dir, fmt.Sprintf("kvbench-fsync-probe-%d", os.Getpid()))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(path)
	defer f.Close()
	block := make([]byte, 4096)
	for i := range block {
		block[i] = byte(i)
	}
	times := make([]time.Duration, 0, n)
	for range n {
		t0 := time.Now()
		if _, err := f.Write(block); err != nil {
			return 0, 0, err
		}
		if err := f.Sync(); err != nil {
			return 0, 0, err
		}
		times = append(times, time.Since(t0))
	}
	slices.Sort(times)
	appendSync = times[len(times)/2]
	times = times[:0]
	for i := range n {
		t0 := time.Now()
		if _, err := f.WriteAt(block, int64(i)*4096); err != nil {
			return 0, 0, err
		}
		if err := datasync(f); err != nil {
			return 0, 0, err
		}
		times = append(times, time.Since(t0))
	}
	slices.Sort(times)
	return appendSync, times[len(times)/2], nil
}
