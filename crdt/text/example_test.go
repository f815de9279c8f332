package text_test

import (
	"fmt"
	"log"

	"github.com/rondo-dev/rondo/crdt/text"
)

// Two replicas edit concurrently and exchange their updates, in any order.
func ExampleDoc() {
	alice, err := text.New(1)
	if err != nil {
		log.Fatal(err)
	}
	bob, err := text.New(2)
	if err != nil {
		log.Fatal(err)
	}
	bob.Apply(alice.Insert(0, "Hello world"))
	ua := alice.Insert(5, ",")
	ub := bob.Insert(11, "!")
	alice.Apply(ub)
	bob.Apply(ua)
	fmt.Println(alice.String(), "|", bob.String())
	// Output: Hello, world! | Hello, world!
}

// An update that gives an item already known another character is refused
// whole, and the document is left as it was.
func ExampleDoc_Apply() {
	alice, _ := text.New(1)
	bob, _ := text.New(2)
	bob.Apply(alice.Insert(0, "hi"))
	forged := &text.Update{Inserts: []text.Insert{{
		ID: text.ID{Agent: 1, Seq: 0}, Left: text.None(), Right: text.None(), Text: "HI",
	}}}
	_, err := bob.Apply(forged)
	fmt.Println(bob.String(), err != nil)
	// Output: hi true
}
