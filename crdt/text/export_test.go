package text

// UseYATA switches d to Yjs's original placement rule, for measuring the
// choice of FugueMax (see choice_test.go).
func UseYATA(d *Doc) { d.yata = true }
