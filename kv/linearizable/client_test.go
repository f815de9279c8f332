package linearizable

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/rondo-dev/rondo/kv/client"
	"github.com/rondo-dev/rondo/kv/machine"
)

func newClient(t *testing.T, endpoints ...string) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{Endpoints: endpoints, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// deadEndpoint is a loopback address nothing listens on.
func deadEndpoint(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestARetriedWriteWhoseAnswerWasLostIsAppliedOnce(t *testing.T) {
	b := newMemBackend()
	srv := httptest.NewServer(testHandler(b))
	defer srv.Close()
	// The first attempt is applied, and its answer lost (504, outcome
	// unknown); the client retries with the same session and number.
	b.failNext, b.lose = []error{unknownOutcome(0, "the commit did not come in time")}, true
	c := newClient(t, srv.URL)
	rev, err := c.Put(context.Background(), "k", []byte("v"))
	if err != nil || rev != 1 || b.writes != 1 {
		t.Fatalf("put: revision %d, %v; %d writes applied, want 1", rev, err, b.writes)
	}
	// The same for a compare-and-set: a second application would fail
	// (the key no longer holds "v"), so the retry must get the first
	// answer.
	b.failNext = []error{unknownOutcome(0, "the leader changed")}
	r, err := c.CompareAndSet(context.Background(), "k", []byte("v"), []byte("w"))
	if err != nil || !r.Swapped || b.writes != 2 {
		t.Fatalf("cas: %+v, %v; %d writes applied", r, err, b.writes)
	}
	// A plain PUT without a session, retried by hand, is two writes: what
	// the session headers are for.
	b.failNext = []error{unknownOutcome(0, "lost")}
	resp, _ := call(t, "PUT", srv.URL+"/kv/k", []byte("x"))
	call(t, "PUT", srv.URL+"/kv/k", []byte("x"))
	if resp.StatusCode != 504 || b.writes != 4 {
		t.Fatalf("two session-less PUTs: %d, %d writes", resp.StatusCode, b.writes)
	}
}

func TestAClientThatGivesUpSaysWhetherTheWriteMayHaveTakenEffect(t *testing.T) {
	b := newMemBackend()
	srv := httptest.NewServer(testHandler(b))
	defer srv.Close()
	// A bound on attempts rather than a deadline: a deadline that falls
	// while an attempt is in flight makes its outcome unknown, rightly.
	c, err := client.New(client.Config{Endpoints: []string{srv.URL}, MinBackoff: time.Millisecond, MaxAttempts: 4})
	if err != nil {
		t.Fatal(err)
	}
	run := func(fail func() (error, bool)) error {
		b.flaky = fail
		_, err := c.Put(context.Background(), "k", []byte("v"))
		return err
	}
	err = run(func() (error, bool) { return notTaken(-1, "no leader"), false })
	if !errors.Is(err, client.ErrNotTaken) || errors.Is(err, client.ErrUnknownOutcome) || !client.Definite(err) {
		t.Fatalf("every attempt not taken: %v", err)
	}
	err = run(func() (error, bool) { return unknownOutcome(-1, "no commit"), false })
	if !errors.Is(err, client.ErrUnknownOutcome) || client.Definite(err) {
		t.Fatalf("every attempt of unknown outcome: %v", err)
	}
	// Once an attempt may have taken effect, later refusals do not make
	// the outcome definite.
	first := true
	err = run(func() (error, bool) {
		if first {
			first = false
			return unknownOutcome(-1, "no commit"), false
		}
		return notTaken(-1, "no leader"), false
	})
	if !errors.Is(err, client.ErrUnknownOutcome) {
		t.Fatalf("unknown, then not taken: %v", err)
	}
	// Nobody listening: nothing was sent, nothing taken.
	dead, _ := client.New(client.Config{Endpoints: []string{deadEndpoint(t)}, MinBackoff: time.Millisecond, MaxAttempts: 3})
	_, err = dead.Put(context.Background(), "k", []byte("v"))
	if !errors.Is(err, client.ErrNotTaken) || !client.Definite(err) {
		t.Fatalf("no replica up: %v", err)
	}
	// Bad input is refused at once, definitely, without retries.
	b.flaky = nil
	_, err = c.Put(context.Background(), "k", make([]byte, machine.MaxValue+1))
	var e *client.Error
	if !errors.As(err, &e) || e.StatusCode != 413 || !client.Definite(err) {
		t.Fatalf("a value past the limit: %v", err)
	}
}

func TestTheClientSkipsADeadEndpointAndReadsWhatItWrote(t *testing.T) {
	srv := httptest.NewServer(testHandler(newMemBackend()))
	defer srv.Close()
	c := newClient(t, deadEndpoint(t), srv.URL)
	ctx := context.Background()
	if _, err := c.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if v, rev, err := c.Get(ctx, "k"); err != nil || string(v) != "v" || rev != 1 {
		t.Fatalf("get: %q %d %v", v, rev, err)
	}
	if _, _, err := c.Get(ctx, "absent"); !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("get of an absent key: %v", err)
	}
	if existed, err := c.Delete(ctx, "k"); err != nil || !existed {
		t.Fatalf("delete: %v %v", existed, err)
	}
	if r, err := c.CompareAndSet(ctx, "k", nil, []byte{0xff}); err != nil || !r.Swapped {
		t.Fatalf("create: %+v %v", r, err)
	}
	if r, err := c.CompareAndSet(ctx, "k", nil, []byte("y")); err != nil || r.Swapped || !bytes.Equal(r.Value, []byte{0xff}) {
		t.Fatalf("second create: %+v %v", r, err)
	}
	l, err := c.List(ctx, client.ListOptions{Prefix: "k"})
	if err != nil || len(l.Items) != 1 || !bytes.Equal(l.Items[0].Value, []byte{0xff}) {
		t.Fatalf("list: %+v %v", l, err)
	}
	st, err := c.Status(ctx, 1)
	if err != nil || !st.IsLeader || st.Keys != 1 {
		t.Fatalf("status: %+v %v", st, err)
	}
}

func TestConcurrentWritersThroughFlakyAnswersApplyEveryWriteExactlyOnce(t *testing.T) {
	b := newMemBackend()
	rng := rand.New(rand.NewPCG(1, 1))
	b.flaky = func() (error, bool) { // called under b.mu
		switch rng.IntN(10) {
		case 0:
			return unknownOutcome(0, "answer lost"), true
		case 1:
			return unknownOutcome(0, "not applied"), false
		case 2:
			return notTaken(0, "busy"), false
		}
		return nil, false
	}
	srv := httptest.NewServer(testHandler(b))
	defer srv.Close()
	c := newClient(t, srv.URL)
	const writers, each = 32, 40
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if _, err := c.Put(context.Background(), fmt.Sprintf("w%d", w), []byte(fmt.Sprint(i))); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if b.writes != writers*each {
		t.Fatalf("%d writes applied for %d acknowledged", b.writes, writers*each)
	}
	if b.m.Revision() != writers*each {
		t.Fatalf("revision %d", b.m.Revision())
	}
}

// A client told to give up on unreachable endpoints says so after a few
// rounds of refused connections, without waiting for its deadline; one
// endpoint that answers keeps it going.
func TestAClientGivesUpWhenNothingListensAtAnyEndpoint(t *testing.T) {
	dead, err := client.New(client.Config{Endpoints: []string{deadEndpoint(t), deadEndpoint(t)},
		MinBackoff: time.Millisecond, GiveUpUnreachable: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	_, err = dead.Put(ctx, "k", []byte("v"))
	if !errors.Is(err, client.ErrUnreachable) || !errors.Is(err, client.ErrNotTaken) || !client.Definite(err) {
		t.Fatalf("nothing listening: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the client waited for its deadline")
	}
	srv := httptest.NewServer(testHandler(newMemBackend()))
	defer srv.Close()
	one, err := client.New(client.Config{Endpoints: []string{deadEndpoint(t), srv.URL},
		MinBackoff: time.Millisecond, GiveUpUnreachable: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, err := one.Put(ctx, "k", []byte{byte(i)}); err != nil {
			t.Fatalf("put %d with one endpoint up: %v", i, err)
		}
	}
}
