package cluster

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestFileStorageSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenFileStorage(dir)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"log/1": "a", "log/2": "b", "term": "7", "gone": "x", "odd key/with\x00bytes": "z"} {
		if err := s.Put(k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put("term", []byte("8")); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("gone"); err != nil {
		t.Fatal(err)
	}
	// A Put cut short by a crash leaves a temporary file behind.
	if err := os.WriteFile(filepath.Join(dir, "k-7465726d.tmp"), []byte("torn"), 0o600); err != nil {
		t.Fatal(err)
	}

	r, err := OpenFileStorage(dir)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := r.Get("term"); !ok || string(v) != "8" {
		t.Fatalf("term = %q, %v after reopen; want \"8\"", v, ok)
	}
	if _, ok := r.Get("gone"); ok {
		t.Fatal("a deleted key came back after reopen")
	}
	if got, want := r.Keys("log/"), []string{"log/1", "log/2"}; !slices.Equal(got, want) {
		t.Fatalf("Keys(log/) = %v, want %v", got, want)
	}
	if v, _ := r.Get("odd key/with\x00bytes"); string(v) != "z" {
		t.Fatalf("odd key = %q", v)
	}
	if _, err := os.Stat(filepath.Join(dir, "k-7465726d.tmp")); !os.IsNotExist(err) {
		t.Fatal("the torn temporary file was not cleaned up")
	}
	if err := r.Put(string(make([]byte, MaxKeyLen+1)), nil); err == nil {
		t.Fatal("an over-long key was accepted")
	}
}
