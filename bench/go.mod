module github.com/rondo-dev/rondo/bench

go 1.26.0

require github.com/rondo-dev/rondo v0.0.0

replace github.com/rondo-dev/rondo => ../
