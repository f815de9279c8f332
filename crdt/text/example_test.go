package text_test

import (
	"fmt"

	"github.com/rondo-dev/rondo/crdt/text"
)

// Two replicas edit concurrently and exchange their updates, in any order.
func ExampleDoc() {
	alice, bob := text.New(1), text.New(2)
	bob.Apply(alice.Insert(0, "Hello world"))
	ua := alice.Insert(5, ",")
	ub := bob.Insert(11, "!")
	alice.Apply(ub)
	bob.Apply(ua)
	fmt.Println(alice.String(), "|", bob.String())
	// Output: Hello, world! | Hello, world!
}
