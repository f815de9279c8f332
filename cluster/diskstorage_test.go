package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func openStore(t *testing.T, dir string) *DiskStorage {
	t.Helper()
	s, err := OpenDiskStorage(dir, DiskOptions{Owner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// randomBytes returns n bytes that do not compress.
func randomBytes(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// A store reopened on the same directory holds exactly what was committed
// before it closed: thousands of keys, megabyte values (12 MiB in all,
// three times a frame), overwrites and deletes, the odd key; what was
// written but never committed is gone.
func TestADiskStorageKeepsWhatItCommittedAndNothingElse(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	want := map[string][]byte{}
	for i := range 3000 {
		k := fmt.Sprintf("log/%08d", i)
		want[k] = randomBytes(100+i%900, uint64(i))
		s.Put(k, want[k])
		if i%500 == 499 {
			if err := s.Commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range 12 {
		k := fmt.Sprintf("big/%d", i)
		want[k] = randomBytes(1<<20, uint64(1000+i))
		s.Put(k, want[k])
	}
	odd := "odd key/with\x00bytes and \xff"
	want[odd] = nil
	s.Put(odd, nil)
	s.Put("term", []byte("7"))
	s.Put("term", []byte("8"))
	want["term"] = []byte("8")
	s.Put("gone", []byte("x"))
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Delete("gone")
	for i := range 100 {
		k := fmt.Sprintf("log/%08d", i)
		s.Delete(k)
		delete(want, k)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Put("uncommitted", []byte("lost"))
	s.Delete("term")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	r := openStore(t, dir)
	defer r.Close()
	keys := r.Keys("")
	if len(keys) != len(want) {
		t.Fatalf("reopened store has %d keys, want %d", len(keys), len(want))
	}
	if !slices.IsSorted(keys) {
		t.Fatal("Keys are not sorted")
	}
	for k, v := range want {
		got, ok := r.Get(k)
		if !ok || !bytes.Equal(got, v) {
			t.Fatalf("%q: %d bytes (%v) after reopen, want %d", k, len(got), ok, len(v))
		}
	}
	if _, ok := r.Get("uncommitted"); ok {
		t.Fatal("a write never committed survived the close")
	}
	if got := r.Keys("log/"); len(got) != 2900 || got[0] != "log/00000100" {
		t.Fatalf("Keys(log/) = %d keys from %q, want 2900 from log/00000100", len(got), got[0])
	}
	if got := r.Keys("big/1"); !slices.Equal(got, []string{"big/1", "big/10", "big/11"}) {
		t.Fatalf("Keys(big/1) = %q", got)
	}
}

// Within a batch, reads see the batch's own writes at once — Get and Keys,
// puts and deletes alike — and Rollback takes them all back.
func TestReadsInABatchSeeItsOwnWritesAndRollbackForgetsThem(t *testing.T) {
	s := openStore(t, t.TempDir())
	s.Put("a", []byte("1"))
	s.Put("b", []byte("2"))
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Put("a", []byte("changed"))
	s.Put("c", []byte("3"))
	s.Delete("b")
	if v, _ := s.Get("a"); string(v) != "changed" {
		t.Fatalf("a = %q in the batch, want its own write", v)
	}
	if _, ok := s.Get("b"); ok {
		t.Fatal("b still reads after the batch deleted it")
	}
	if got := s.Keys(""); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("Keys in the batch = %q, want [a c]", got)
	}
	s.Rollback()
	if v, _ := s.Get("a"); string(v) != "1" {
		t.Fatalf("a = %q after Rollback, want the committed 1", v)
	}
	if got := s.Keys(""); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("Keys after Rollback = %q, want [a b]", got)
	}
	// Values handed out are copies: changing one changes nothing stored.
	v, _ := s.Get("a")
	v[0] = 'X'
	if w, _ := s.Get("a"); string(w) != "1" {
		t.Fatalf("a = %q after its copy was changed", w)
	}
	// A closed store reads nothing and refuses writes, without panicking.
	s.Close()
	if _, ok := s.Get("a"); ok || s.Keys("") != nil {
		t.Fatal("a closed store still reads")
	}
	if err := s.Put("a", nil); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("Put on a closed store: %v", err)
	}
	if err := s.Commit(); err == nil {
		t.Fatal("Commit on a closed store succeeded")
	}
}

// A commit that writes something costs one fsync; one that writes nothing
// costs none.
func TestACommitIsOneFsyncAndAnEmptyOneIsNone(t *testing.T) {
	s := openStore(t, t.TempDir())
	defer s.Close()
	before := s.Fsyncs()
	for i := range 100 {
		for j := range 50 {
			s.Put(fmt.Sprintf("k%d/%d", i, j), []byte("v"))
		}
		if err := s.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Fsyncs() - before; got != 100 {
		t.Fatalf("100 commits of 50 puts (and 100 empty ones) made %d fsyncs, want 100", got)
	}
}

// A store opened with NoSync commits without an fsync per commit (the only
// ones left are Pebble's housekeeping: closing a full log file when it
// rotates to a new one), and what it committed is all there when it is opened again (the writes went through
// Pebble's log, only the flush was skipped): thousands of keys and
// megabyte values, larger than a frame in all.
func TestANoSyncStoreCommitsWithoutFsyncingAndKeepsItsWrites(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenDiskStorage(dir, DiskOptions{Owner: "test", NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{}
	before := s.Fsyncs()
	for i := range 100 {
		for j := range 50 {
			k := fmt.Sprintf("k%03d/%02d", i, j)
			want[k] = randomBytes(128, uint64(i*50+j))
			s.Put(k, want[k])
		}
		if err := s.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.Fsyncs() - before; got > 10 {
		t.Fatalf("100 commits without sync made %d fsyncs, want none but a log rotation's few", got)
	}
	for i := range 6 {
		k := fmt.Sprintf("big/%d", i)
		want[k] = randomBytes(1<<20, uint64(9000+i))
		s.Put(k, want[k])
		if err := s.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	s.Put("never committed", []byte("x"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir)
	defer s.Close()
	if got := len(s.Keys("")); got != len(want) {
		t.Fatalf("reopened store holds %d keys, want %d", got, len(want))
	}
	for k, v := range want {
		if got, ok := s.Get(k); !ok || !bytes.Equal(got, v) {
			t.Fatalf("reopened store: %q holds %d bytes (present %v), want %d", k, len(got), ok, len(v))
		}
	}
}

func TestIncarnationsAreCountedAcrossReopens(t *testing.T) {
	dir := t.TempDir()
	for want := range 3 {
		s := openStore(t, dir)
		if inc, err := s.NextIncarnation(); err != nil || inc != want {
			t.Fatalf("start %d: incarnation %d, %v", want, inc, err)
		}
		s.Close()
	}
	s := openStore(t, dir)
	defer s.Close()
	if got := s.Keys(""); len(got) != 0 {
		t.Fatalf("the store's own metadata shows among the process's keys: %q", got)
	}
}

// Bad or foreign directories are refused with an error that says what is
// wrong, and nothing in them is touched.
func TestForeignOrBrokenDirectoriesAreRefusedClearly(t *testing.T) {
	t.Run("a directory of someone else's files", func(t *testing.T) {
		dir := t.TempDir()
		for _, name := range []string{"notes.txt", "photo.jpg", "k-74657374"} {
			os.WriteFile(filepath.Join(dir, name), []byte("mine"), 0o600)
		}
		_, err := OpenDiskStorage(dir, DiskOptions{Owner: "test"})
		if err == nil || !strings.Contains(err.Error(), "holds no rondo store") || !strings.Contains(err.Error(), "notes.txt") {
			t.Fatalf("err = %v, want a refusal naming the files", err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(b) != "mine" {
			t.Fatal("the refused directory's files were changed")
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 3 {
			t.Fatalf("the refused directory now holds %d files", len(ents))
		}
	})
	t.Run("another owner's store", func(t *testing.T) {
		dir := t.TempDir()
		s, err := OpenDiskStorage(dir, DiskOptions{Owner: "rondo node broadcast"})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		_, err = OpenDiskStorage(dir, DiskOptions{Owner: "rondo kv lattice"})
		if err == nil || !strings.Contains(err.Error(), `belongs to "rondo node broadcast", not to "rondo kv lattice"`) {
			t.Fatalf("err = %v, want a refusal naming both owners", err)
		}
	})
	t.Run("a store already open", func(t *testing.T) {
		dir := t.TempDir()
		s := openStore(t, dir)
		defer s.Close()
		_, err := OpenDiskStorage(dir, DiskOptions{Owner: "test"})
		if err == nil || !strings.Contains(err.Error(), "in use by another process or node") {
			t.Fatalf("err = %v, want a refusal saying the store is in use", err)
		}
	})
	t.Run("a store whose files are corrupt", func(t *testing.T) {
		dir := t.TempDir()
		s := openStore(t, dir)
		s.Put("k", []byte("v"))
		s.Commit()
		s.Close()
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), "MANIFEST-") {
				os.WriteFile(filepath.Join(dir, e.Name()), bytes.Repeat([]byte{0xde, 0xad}, 64), 0o600)
			}
		}
		_, err := OpenDiskStorage(dir, DiskOptions{Owner: "test"})
		if err == nil || !errors.Is(err, ErrStorageFailed) || !strings.Contains(err.Error(), dir) {
			t.Fatalf("err = %v, want a storage failure naming the directory", err)
		}
	})
	t.Run("a store whose log lost its first record", func(t *testing.T) {
		// Pebble replays its log up to the first bad record: with the
		// first one damaged it reads as empty, and must not pass for a
		// new store (a node would forget what it promised).
		dir := t.TempDir()
		s := openStore(t, dir)
		for i := range 20 {
			s.Put(fmt.Sprintf("vote/%d", i), []byte("yes"))
			s.Commit()
		}
		s.Close()
		logs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
		for _, l := range logs {
			f, err := os.OpenFile(l, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteAt(bytes.Repeat([]byte{0x5a}, 24), 8)
			f.Close()
		}
		r, err := OpenDiskStorage(dir, DiskOptions{Owner: "test"})
		if err == nil {
			keys := r.Keys("")
			r.Close()
			t.Fatalf("a store whose log is damaged from its first record opened, as a new store with %d keys", len(keys))
		}
		if !strings.Contains(err.Error(), dir) {
			t.Fatalf("err = %v, want one naming the directory", err)
		}
	})
	t.Run("no owner", func(t *testing.T) {
		_, err := OpenDiskStorage(t.TempDir(), DiskOptions{})
		if err == nil || !strings.Contains(err.Error(), "needs an Owner") {
			t.Fatalf("err = %v", err)
		}
	})
}

// A store whose creation was cut short (here: only the first files Pebble
// writes, as a full disk or a crash leaves them) is created afresh.
func TestAStoreWhoseCreationWasCutShortStartsAfresh(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "MANIFEST-000001"), []byte{0, 0, 0}, 0o600)
	os.WriteFile(filepath.Join(dir, "LOCK"), nil, 0o600)
	s := openStore(t, dir)
	defer s.Close()
	if inc, err := s.NextIncarnation(); err != nil || inc != 0 {
		t.Fatalf("incarnation %d, %v; want a new store's 0", inc, err)
	}
}

// The files of rondo's old one-file-per-key storage read back as keys; a
// write cut short (.tmp) is skipped; anything else is named in an error.
func TestTheOldFileStorageLayoutReads(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "k-7465726d"), []byte("8"), 0o600)           // "term"
	os.WriteFile(filepath.Join(dir, "k-6f6464206b6579"), []byte{0, 1, 2}, 0o600) // "odd key"
	os.WriteFile(filepath.Join(dir, "k-7465726d.tmp"), []byte("torn"), 0o600)    // a Put cut short
	got, err := ReadFileStorage(dir)
	if err != nil || len(got) != 2 || string(got["term"]) != "8" || !bytes.Equal(got["odd key"], []byte{0, 1, 2}) {
		t.Fatalf("ReadFileStorage = %q, %v", got, err)
	}
	os.WriteFile(filepath.Join(dir, "README"), nil, 0o600)
	if _, err := ReadFileStorage(dir); err == nil || !strings.Contains(err.Error(), "README is not a file of rondo's old file storage") {
		t.Fatalf("err = %v, want one naming README", err)
	}
}
