package cluster

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkDiskStorageCommit commits batches of 1, 16 and 256 puts of
// 128-byte values to a DiskStorage in the benchmark's temporary directory
// (put TMPDIR on the disk to measure) and reports the p50 and p99 latency
// of a commit and the fsyncs per commit: the figures docs/storage.md
// compares with bbolt.
//
//	go test ./cluster -run '^$' -bench DiskStorageCommit -benchtime 2000x
func BenchmarkDiskStorageCommit(b *testing.B) {
	for _, batch := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s, err := OpenDiskStorage(b.TempDir(), DiskOptions{Owner: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			value := make([]byte, 128)
			lat := make([]time.Duration, 0, b.N)
			fsyncs := s.Fsyncs()
			b.ResetTimer()
			for i := range b.N {
				for j := range batch {
					s.Put(fmt.Sprintf("log/%016x", i*batch+j), value)
				}
				t := time.Now()
				if err := s.Commit(); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
			b.ReportMetric(float64(s.Fsyncs()-fsyncs)/float64(b.N), "fsyncs/commit")
		})
	}
}
