package transport

import (
	"context"
	"testing"
	"time"
)

func TestQueueBoundsMessagesAndBytes(t *testing.T) {
	q := newQueue(3, 100)
	if !q.push(make([]byte, 60)) || q.push(make([]byte, 60)) {
		t.Fatal("byte bound: 60 then 60 bytes should be accepted then refused")
	}
	if got := len(q.take(nil)); got != 1 {
		t.Fatalf("took %d, want 1", got)
	}
	if !q.push(make([]byte, 500)) {
		t.Fatal("an empty queue must take one message larger than the byte bound")
	}
	q.take(nil)
	for i := range 3 {
		if !q.push([]byte{byte(i)}) {
			t.Fatalf("push %d refused below the count bound", i)
		}
	}
	if q.push([]byte{9}) {
		t.Fatal("count bound: a fourth message was accepted")
	}
	// A waiting sender gets in once the writer drains the queue.
	done := make(chan error, 1)
	go func() { done <- q.pushWait(context.Background(), []byte{9}, nil) }()
	select {
	case err := <-done:
		t.Fatalf("pushWait returned %v while the queue was full", err)
	case <-time.After(10 * time.Millisecond):
	}
	q.take(nil)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if q.len() != 1 {
		t.Fatalf("queue holds %d, want the waiting message", q.len())
	}
}
