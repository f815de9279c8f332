package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
)

// flattenReport marshals summary and adds the protocol's own figures
// (scenario.Report) as top-level fields beside the standard ones, so scripts
// read every figure at one level. A report key never replaces a standard one;
// the whole report is also kept, unflattened, under "report".
func flattenReport(summary any, report map[string]any) ([]byte, error) {
	b, err := json.Marshal(summary)
	if err != nil || len(report) == 0 {
		return b, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range report {
		if _, taken := m[k]; !taken {
			m[k] = v
		}
	}
	m["report"] = report
	return json.Marshal(m)
}

// printReport prints a protocol's own figures, one per line, sorted by name;
// fractional figures get one decimal, whole ones none (the JSON keeps full
// precision).
func printReport(w io.Writer, report map[string]any) {
	keys := make([]string, 0, len(report))
	for k := range report {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch v := report[k].(type) {
		case float64:
			if v == math.Trunc(v) && math.Abs(v) < 1e15 {
				fmt.Fprintf(w, "  %s: %d\n", k, int64(v))
			} else {
				fmt.Fprintf(w, "  %s: %.1f\n", k, v)
			}
		default:
			fmt.Fprintf(w, "  %s: %v\n", k, v)
		}
	}
}
