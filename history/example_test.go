package history_test

import (
	"fmt"
	"time"

	"github.com/rondo-dev/rondo/history"
)

// Two clients write a key while a third reads it twice: the first read
// overlaps the second write and may see either value; the second read
// starts after both writes returned, so it must see one of them and never
// the absent key. Check searches for an order; CheckWitness verifies the
// order a system claims (here the log's) before it searches.
func Example() {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	ops := []history.Op{
		{Client: 1, Kind: history.Put, Key: "k", Value: "a", Call: ms(0), Return: ms(10)},
		{Client: 2, Kind: history.Put, Key: "k", Value: "b", Call: ms(5), Return: ms(30)},
		{Client: 3, Kind: history.Get, Key: "k", Found: true, Got: "a", Call: ms(12), Return: ms(20)},
		{Client: 3, Kind: history.Get, Key: "k", Found: true, Got: "b", Call: ms(40), Return: ms(45)},
	}
	fmt.Println(history.Check(ops, time.Second))
	r, err := history.CheckWitness(ops, []int{0, 2, 1, 3}, time.Second)
	fmt.Println(r, err)

	stale := append(ops, history.Op{Client: 3, Kind: history.Get, Key: "k", Call: ms(50), Return: ms(55)})
	fmt.Println(history.Check(stale, time.Second))
	// Output:
	// linearizable: 4 operations on 1 keys (0 of unknown outcome)
	// linearizable: 4 operations on 1 keys (0 of unknown outcome), by a verified witness order <nil>
	// not linearizable: 5 operations on 1 keys (0 of unknown outcome); not linearizable on "k"
}
