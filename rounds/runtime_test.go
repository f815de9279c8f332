package rounds

import (
	"testing"
	"time"
)

var testCfg = Config{Timeout: 10 * time.Millisecond, MinTimeout: time.Millisecond}

// A round ends as soon as every expected message is in, and otherwise on
// its timeout, with whatever arrived.
func TestRoundEndsEarlyOnceEveryMessageArrivedAndOtherwiseOnTimeout(t *testing.T) {
	n0 := newNode(t, minFlood(), 0, 3, testCfg)
	expect(t, "propose 5", n0.propose(1, 5),
		"send n1 i1/r0 x=5",
		"send n2 i1/r0 x=5")
	expect(t, "n1's round 0", n0.recv(1, msg(1, 0, 3)))
	n0.at(2 * time.Millisecond)
	expect(t, "n2's round 0 completes the round, 2ms in", n0.recv(2, msg(1, 0, 7)),
		"send n1 i1/r1 x=3",
		"send n2 i1/r1 x=3")
	if got := n0.rt.Timeout(); got != 9625*time.Microsecond {
		t.Fatalf("after a first round of 2ms the timeout is %v, want 10ms - (10ms - 2 × 2ms)/16", got)
	}
	expect(t, "n1's round 1", n0.recv(1, msg(1, 1, 3)))
	expect(t, "nothing before the timeout", n0.at(11*time.Millisecond))
	expect(t, "round 1 times out without n2", n0.at(12*time.Millisecond),
		"send n1 i1/r2 x=3",
		"send n2 i1/r2 x=3")
	expect(t, "round 2 decides", append(n0.recv(1, msg(1, 2, 4)), n0.recv(2, msg(1, 2, 3))...),
		"output Decision{i1=3 r2}")
	if s := n0.rt.Stats(); s.Live != 0 || s.Decided != 1 || s.Timeouts != 1 {
		t.Fatalf("stats after the decision: %+v", s)
	}
}

// Messages that name an instance before this node's proposal wait for it;
// the proposal then finds its first round already complete.
func TestMessagesWaitForTheProposalOfTheirInstance(t *testing.T) {
	n0 := newNode(t, minFlood(), 0, 3, testCfg)
	expect(t, "n1 is ahead", n0.recv(1, msg(7, 0, 2)))
	expect(t, "n2 is ahead", n0.recv(2, msg(7, 0, 9)))
	expect(t, "the proposal runs round 0 at once", n0.propose(7, 5),
		"send n1 i7/r0 x=5",
		"send n2 i7/r0 x=5",
		"send n1 i7/r1 x=2",
		"send n2 i7/r1 x=2")
}

// A message from a later round makes the instance jump there: it ends its
// round with what it heard, runs the rounds in between as rounds in which it
// heard nothing, and sends in the new round. Messages for the rounds it left
// are dropped, except that the sender is told where this node is.
func TestCatchUpJumpsToTheHighestRoundSeen(t *testing.T) {
	n0 := newNode(t, minFlood(), 0, 3, testCfg)
	n0.propose(1, 5)
	expect(t, "n2 is in round 2: rounds 0 and 1 end empty-handed", n0.recv(2, msg(1, 2, 4)),
		"send n1 i1/r2 x=5",
		"send n2 i1/r2 x=5")
	expect(t, "n1's round 0 message is too late", n0.recv(1, msg(1, 0, 0)),
		"send n1 Ahead{i1 r2}")
	expect(t, "round 2 ends with n1's message (n2's was kept)", n0.recv(1, msg(1, 2, 1)),
		"output Decision{i1=1 r2}")
	if s := n0.rt.Stats(); s.CatchUps != 1 || s.Skipped != 1 || s.Past != 1 {
		t.Fatalf("stats: %+v", s)
	}
}

// A future message within MaxAhead waits for its round; in the Byzantine
// model a single peer's claim to be ahead moves nobody: the (f+1)-th
// highest round seen is the target, which some correct process reached.
// And it must be two rounds ahead at least: a correct peer one round ahead
// is joined when this round ends (jumping would skip this round, whose
// messages may just be overtaken by the next round's).
func TestByzantineCatchUpNeedsFPlusOnePeersAhead(t *testing.T) {
	alg := minFlood()
	alg.Spec.Model = Byzantine
	alg.Spec.MaxFaults = func(n int) int { return (n - 1) / 3 }
	n0 := newNode(t, alg, 0, 4, testCfg)
	n0.propose(1, 5)
	expect(t, "n3 claims round 9", n0.recv(3, msg(1, 9, 0)))
	expect(t, "n2 says round 1: the second highest, but only one round ahead", n0.recv(2, msg(1, 1, 4)))
	expect(t, "n2 says round 2: two rounds ahead; round 1 is skipped", n0.recv(2, msg(1, 2, 4)),
		"send n1 i1/r2 x=5",
		"send n2 i1/r2 x=5",
		"send n3 i1/r2 x=5")
	expect(t, "n1 says round 9 too: now two peers are there; round 2 decides", n0.recv(1, msg(1, 9, 3)),
		"output Decision{i1=4 r2}",
		"send n1 Decided{i1=4}",
		"send n2 Decided{i1=4}",
		"send n3 Decided{i1=4}",
		"send n1 i1/r9 x=4",
		"send n2 i1/r9 x=4",
		"send n3 i1/r9 x=4")
}

// A strict round does not catch up: the later round's message waits.
func TestStrictRoundsDoNotCatchUp(t *testing.T) {
	alg := minFlood()
	alg.Rounds[0].Progress = StrictTimeout(0)
	n0 := newNode(t, alg, 0, 3, testCfg)
	n0.propose(1, 5)
	expect(t, "n2 is in round 1: kept for later", n0.recv(2, msg(1, 1, 4)))
	expect(t, "n1's round 0", n0.recv(1, msg(1, 0, 6)))
	expect(t, "the timeout ends round 0; round 1 starts with n2's message", n0.at(10*time.Millisecond),
		"send n1 i1/r1 x=5",
		"send n2 i1/r1 x=5")
	if s := n0.rt.Stats(); s.Buffered != 1 || s.CatchUps != 0 {
		t.Fatalf("stats: %+v", s)
	}
}

// The timeout grows when a message of the round that just timed out
// arrives late, and shrinks slowly when rounds end early.
func TestTimeoutGrowsOnLateMessagesAndShrinksSlowlyOnEarlyRounds(t *testing.T) {
	forever := minFlood()
	forever.Rounds[0].Update = func(*minState, Mailbox[minMsg], *Ctx) {} // never decides
	n0 := newNode(t, forever, 0, 3, testCfg)
	n0.propose(1, 5)
	n0.recv(1, msg(1, 0, 5))
	n0.at(10 * time.Millisecond) // round 0 times out without n2
	n0.at(14 * time.Millisecond)
	n0.recv(2, msg(1, 0, 5)) // 14ms after round 0 began
	if got, want := n0.rt.Timeout(), 14*time.Millisecond*5/4; got != want {
		t.Fatalf("after a message 14ms late: timeout %v, want %v", got, want)
	}
	before := n0.rt.Timeout()
	n0.at(15 * time.Millisecond)
	n0.recv(1, msg(1, 1, 5))
	n0.recv(2, msg(1, 1, 5)) // round 1 ends 5ms after it began
	after := n0.rt.Timeout()
	if want := before - (before-10*time.Millisecond)/16; after != want {
		t.Fatalf("after an early round: timeout %v, want %v (1/16 of the way to 2×5ms)", after, want)
	}
}

// A finished instance leaves the runtime; its decision stays in the log and
// answers a late peer's round message and an Ask.
func TestFinishedInstancesAreForgottenButAnswerLatePeers(t *testing.T) {
	n0 := newNode(t, minFlood(), 0, 3, testCfg)
	n0.propose(1, 5)
	for r := range 3 {
		n0.recv(1, msg(1, r, 2))
		n0.recv(2, msg(1, r, 3))
	}
	if s := n0.rt.Stats(); s.Live != 0 || s.Decided != 1 {
		t.Fatalf("stats: %+v", s)
	}
	expect(t, "a late round message", n0.recv(2, msg(1, 1, 9)),
		"send n2 Decided{i1=2}")
	expect(t, "an Ask", n0.recv(1, Ask{Instance: 1}),
		"send n1 Decided{i1=2}")
	expect(t, "a proposal for the finished instance does nothing", n0.propose(1, 0))
}

// A node that hears the decision from a peer decides too (one report in
// the benign model), and its instance ends.
func TestALateNodeLearnsTheDecision(t *testing.T) {
	n0 := newNode(t, minFlood(), 0, 3, testCfg)
	n0.propose(4, 5)
	expect(t, "n1 has decided", n0.recv(1, Decided{Instance: 4, Value: 1}),
		"output Decision{i4=1 r0 learned}")
	expect(t, "and the instance is over", n0.recv(2, msg(4, 0, 3)),
		"send n2 Decided{i4=1}")
}

// After a crash, a node does not rejoin an instance it may have taken part
// in with a state it lost: it asks for the decision instead.
func TestARestartedNodeAsksInsteadOfRejoining(t *testing.T) {
	n0 := newNode(t, minFlood(), 0, 3, testCfg)
	n0.propose(1, 5)
	// Crash: a new runtime value over the same storage.
	n0.rt = NewRuntime(minFlood(), testCfg)
	n0.rt.Init(n0.ctx)
	expect(t, "the proposal again", n0.propose(1, 5),
		"send n1 Ask{i1}",
		"send n2 Ask{i1}")
	expect(t, "a round message is not joined", n0.recv(1, msg(1, 0, 2)))
	expect(t, "the answer", n0.recv(2, Decided{Instance: 1, Value: 2}),
		"output Decision{i1=2 r-1 learned}")
	expect(t, "an instance beyond the reservation runs normally", n0.propose(1000, 5),
		"send n1 i1000/r0 x=5",
		"send n2 i1000/r0 x=5")
}

// Many instances run at once over a single core timer, and a quiet node
// disarms it.
func TestManyInstancesShareOneTimer(t *testing.T) {
	n0 := newNode(t, minFlood(), 0, 3, testCfg)
	for i := range uint64(1000) {
		n0.propose(i+1, Value(i))
	}
	if s := n0.rt.Stats(); s.Live != 1000 {
		t.Fatalf("live instances: %d", s.Live)
	}
	for d := time.Duration(0); n0.ctx.timer >= 0; d += 10 * time.Millisecond {
		n0.at(d)
	}
	s := n0.rt.Stats()
	if s.Live != 0 || s.Decided != 1000 || s.Timeouts != 3000 {
		t.Fatalf("after every timeout: %+v", s)
	}
}
