package main

import (
	"reflect"
	"strings"
	"testing"
)

// jsonNames lists the JSON field names of a summary struct.
func jsonNames(v any) map[string]bool {
	names := map[string]bool{}
	t := reflect.TypeOf(v)
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names[name] = true
		}
	}
	return names
}

// In --json one name means one thing: no protocol's own figure is named like
// a standard field of rondo sim or rondo run (where it would be shadowed, or
// mean something else in the other command).
func TestNoProtocolFigureIsNamedLikeAStandardField(t *testing.T) {
	standard := jsonNames(simSummary{})
	for k := range jsonNames(runSummary{}) {
		standard[k] = true
	}
	for _, sc := range catalog().All() {
		code, sum := simJSON(t, sc.Name, "-n", "4")
		if code != 0 {
			t.Errorf("sim %s: exit %d", sc.Name, code)
			continue
		}
		report, _ := sum["report"].(map[string]any)
		for k := range report {
			if standard[k] {
				t.Errorf("%s reports %q, which is a standard summary field", sc.Name, k)
			}
		}
	}
}
