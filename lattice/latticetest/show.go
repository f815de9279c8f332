package latticetest

import (
	"fmt"
	"reflect"
)

// show renders a lattice value for a failure message: through String when
// the type has one, otherwise Go syntax of the pointed-to value, so that a
// shrunk counterexample reads as data.
func show(v any) string {
	if s, ok := v.(fmt.Stringer); ok {
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Pointer || !rv.IsNil() {
			return s.String()
		}
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		return fmt.Sprintf("%+v", rv.Elem().Interface())
	}
	return fmt.Sprintf("%+v", v)
}
