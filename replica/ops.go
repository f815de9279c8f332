package replica

import "fmt"

// The operations of the convergence campaigns (core.Request bodies).
type (
	// Inc adds By to a counter (negative only for a PN-counter).
	Inc struct{ By int64 }
	// Write writes V to a register.
	Write struct{ V string }
	// Flag enables (On) or disables a flag.
	Flag struct{ On bool }
	// Add adds X to a set, or to the set under Key of a map.
	Add struct{ Key, X string }
	// Remove removes X from a set, or from the set under Key of a map; with
	// X empty it removes the map's Key.
	Remove struct{ Key, X string }
)

func (o Inc) String() string   { return fmt.Sprintf("inc(%d)", o.By) }
func (o Write) String() string { return fmt.Sprintf("write(%q)", o.V) }
func (o Flag) String() string {
	if o.On {
		return "enable"
	}
	return "disable"
}
func (o Add) String() string {
	if o.Key != "" {
		return fmt.Sprintf("add(%s:%s)", o.Key, o.X)
	}
	return fmt.Sprintf("add(%s)", o.X)
}
func (o Remove) String() string {
	switch {
	case o.Key == "":
		return fmt.Sprintf("remove(%s)", o.X)
	case o.X == "":
		return fmt.Sprintf("remove(%s:*)", o.Key)
	}
	return fmt.Sprintf("remove(%s:%s)", o.Key, o.X)
}
