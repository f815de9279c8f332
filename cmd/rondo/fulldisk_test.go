package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fullDisk mounts a tmpfs of one page at dir and fills it, so that the next
// file written there fails with ENOSPC as on a full disk. It skips the test
// where mounting is not allowed (not root, or no mount namespace rights).
// The returned function frees the space again, and makes room (64 MiB).
func fullDisk(t *testing.T, dir string) (free func()) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs to play a full disk (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := f.Write(make([]byte, 512)); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()
	return func() {
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("mount", "-o", "remount,size=64m", dir).CombinedOutput(); err != nil {
			t.Fatalf("remount: %v: %s", err, out)
		}
	}
}

// A node whose disk is full stops for good, says why, and exits 4 (its
// store cannot even be created); given space again, it restarts on the
// same data and works. (A disk that fills while the node runs fails a
// commit: cluster's TestAFullDiskFailsTheCommitAndTheStoreRecoversWithSpace
// and rondo kv's TestAKVReplicaWhoseDiskFillsUpExitsAndRecoversWithSpace.)
func TestANodeOnAFullDiskStopsLoudlyAndRecoversWithSpace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts OS processes")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	free := fullDisk(t, data)
	bin := buildRondo(t)
	runTool(t, bin, "certs", "--out", filepath.Join(dir, "c"), "--nodes", "1")
	cfg := filepath.Join(dir, "c", "cluster.json")
	rewriteConfig(t, cfg, cfg, freeAddrs(t, 1))

	node := startProc(t, "node on a full disk", bin, "node", "--config", cfg, "--id", "0", "--data", data, "--duration", "60s")
	select {
	case <-node.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("the node kept running on a full disk")
	}
	if code := node.cmd.ProcessState.ExitCode(); code != exitNodeFailed {
		t.Fatalf("exit %d on a full disk, want %d", code, exitNodeFailed)
	}
	if log := node.stderr.String(); !strings.Contains(log, "storage failed") || !strings.Contains(log, "no space left on device") ||
		!strings.Contains(log, "start it again on the same --data") {
		t.Fatalf("the node did not say why it stopped:\n%s", log)
	}
	if got := node.count(); got != 0 {
		t.Fatalf("the node output %d deliveries it could not make durable", got)
	}

	free()
	again := startProc(t, "node with space", bin, "node", "--config", cfg, "--id", "0", "--data", data, "--duration", "60s")
	waitFor(t, 20*time.Second, "the restarted node to deliver its broadcasts", func() bool { return again.count() > 0 })
	again.cmd.Process.Signal(syscall.SIGTERM)
	<-again.exited
	if code := again.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("restarted node exited %d", code)
	}
}
