package kv

// WithBudget lowers the replica's message budget, so that a test can show
// the KV's answer to a write the replica refuses as too large without
// writing megabytes.
func WithBudget(o Options, budget int) Options {
	o.budget = budget
	return o
}
