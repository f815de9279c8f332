package history

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestAnOrderThatRespectsRealTimeAndTheModelIsAWitness(t *testing.T) {
	ops := []Op{
		{Client: 1, Kind: Put, Key: "k", Value: "a", Call: ms(0), Return: ms(10)},
		{Client: 2, Kind: Put, Key: "k", Value: "b", Call: ms(5), Return: ms(30)},
		{Client: 3, Kind: Get, Key: "k", Found: true, Got: "a", Call: ms(12), Return: ms(20)},
		{Client: 4, Kind: Delete, Key: "k", Call: ms(6), Unknown: true},
	}
	if err := Verify(ops, []int{0, 2, 1}); err != nil {
		t.Fatalf("put a, get a, put b (the delete never took effect): %v", err)
	}
	if err := Verify(ops, []int{0, 2, 3, 1}); err != nil {
		t.Fatalf("the unknown delete may take effect too: %v", err)
	}
}

func TestAWitnessFailsOnRealTimeOnTheModelAndOnAMissingOperation(t *testing.T) {
	ops := []Op{
		{Client: 1, Kind: Put, Key: "k", Value: "a", Call: ms(0), Return: ms(10)},
		{Client: 2, Kind: Get, Key: "k", Call: ms(20), Return: ms(30)}, // absent
		{Client: 3, Kind: CAS, Key: "k", ExpectAbsent: true, Value: "c", Swapped: true, Call: ms(1), Return: ms(40)},
	}
	for _, c := range []struct {
		order []int
		want  string
	}{
		{[]int{1, 0, 2}, "before"},                  // the read comes first although the put returned before it was called
		{[]int{0, 1, 2}, "not what the store held"}, // the read saw absent after a
		{[]int{2, 0}, "not placed"},
		{[]int{0, 0, 1, 2}, "twice"},
		{[]int{0, 7}, "names operation 7"},
	} {
		err := Verify(ops, c.order)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("order %v: got %v, want an error saying %q", c.order, err, c.want)
		}
	}
}

// A log that was cut off while clients kept writing: thirty writes wait
// half a second for a partition to heal while readers keep seeing the old
// value, then all are applied at once. The search must try which of the
// thirty took effect before each read; the log's own order decides it at
// once.
func TestAWitnessDecidesAHistoryWhoseOverlapDefeatsTheSearch(t *testing.T) {
	ops := []Op{{Client: 0, Kind: Put, Key: "k", Value: "old", Call: 0, Return: ms(1)}}
	var order []int
	order = append(order, 0)
	for i := 0; i < 30; i++ {
		ops = append(ops, Op{Client: 1 + i, Kind: Put, Key: "k", Value: fmt.Sprint("v", i), Call: ms(10 + i), Return: ms(1000)})
	}
	for i := 0; i < 10; i++ {
		ops = append(ops, Op{Client: 40 + i, Kind: Get, Key: "k", Found: true, Got: "old", Call: ms(900 + 5*i), Return: ms(902 + 5*i)})
		order = append(order, len(ops)-1)
	}
	for i := 1; i <= 30; i++ {
		order = append(order, i)
	}
	ops = append(ops, Op{Client: 60, Kind: Get, Key: "k", Found: true, Got: "v29", Call: ms(1001), Return: ms(1002)})
	order = append(order, len(ops)-1)

	r, err := CheckWitness(ops, order, time.Second)
	if err != nil || r.Verdict != Linearizable || !r.Witnessed {
		t.Fatalf("got %v (witness: %v), want linearizable by the witness", r, err)
	}
	if !strings.Contains(r.String(), "witness") {
		t.Errorf("the result does not say a witness decided it: %s", r)
	}
}

func TestABadWitnessFallsBackToTheSearchAndSaysWhy(t *testing.T) {
	ops := []Op{
		{Client: 1, Kind: Put, Key: "k", Value: "a", Call: ms(0), Return: ms(10)},
		{Client: 2, Kind: Get, Key: "k", Found: true, Got: "a", Call: ms(20), Return: ms(30)},
	}
	r, err := CheckWitness(ops, []int{1, 0}, time.Second)
	if err == nil {
		t.Fatal("a witness that reads before the write was accepted")
	}
	if r.Verdict != Linearizable || r.Witnessed {
		t.Fatalf("the search should have found the order itself: %v", r)
	}
	stale := append(ops, Op{Client: 3, Kind: Get, Key: "k", Call: ms(40), Return: ms(50)}) // absent after a: stale
	r, err = CheckWitness(stale, []int{0, 1, 2}, time.Second)
	if err == nil || r.Verdict != NotLinearizable {
		t.Fatalf("a stale read passed: %v (witness: %v)", r, err)
	}
}
