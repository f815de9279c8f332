package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestTheDefaultsRunEveryPeerAtOneSixteenAnd256ClientsWithFsyncOnAndOff(t *testing.T) {
	o, err := parse(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.systems != nil || len(o.clients) != 3 || o.clients[2] != 256 || len(o.fsync) != 2 || o.runs != 3 {
		t.Fatalf("defaults %+v", o)
	}
	if o.workload.ValueSize != 128 || o.workload.Duration != 5*time.Second {
		t.Fatalf("default workload %+v", o.workload)
	}
	var names []string
	for _, s := range peers(o) {
		names = append(names, s.Name())
	}
	if strings.Join(names, ",") != "etcd,hashicorp" {
		t.Fatalf("peers %v", names)
	}
}

func TestBadFlagsGetAClearError(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--clients", "0"}, "not a client count"},
		{[]string{"--clients", "1,x"}, "not a client count"},
		{[]string{"--fsync", "maybe"}, "neither on nor off"},
		{[]string{"--systems", "zookeeper"}, `unknown system "zookeeper" (known: etcd, hashicorp, rondo)`},
		{[]string{"--runs", "0"}, "at least 1"},
		{[]string{"--duration", "0s"}, "--duration"},
		{[]string{"--value", "-1"}, "--value"},
		{[]string{"--hashicorp-off", "tmpfs"}, "bolt-nosync or inmem"},
		{[]string{"--dir", "/nonexistent/kvbench"}, "not a directory"},
		{[]string{"extra"}, "unexpected arguments"},
	} {
		_, err := parse(c.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parse(%q) = %v, want an error containing %q", c.args, err, c.want)
		}
	}
}
