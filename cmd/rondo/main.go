// Command rondo runs Rondo protocols: in the deterministic simulator
// (rondo sim), over real TCP in one process (rondo run) or as one OS process
// per node (rondo node), and lists what it can run (rondo list).
//
// Exit status: 0 when the work asked for was done and every checked property
// held, 1 when a property was violated (the counterexample is printed and,
// with --trace, saved), 2 for bad usage or bad input, 3 when the work was
// not finished (a time, event or memory bound was hit first) and nothing was
// violated in what was done.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Exit codes shared by every subcommand.
const (
	exitOK        = 0
	exitViolation = 1
	exitUsage     = 2
	// exitInconclusive: the command stopped before it did the work asked
	// for (a timeout, an event or memory bound) and found no violation in
	// what it did. That is not a pass.
	exitInconclusive = 3
	// exitNodeFailed: a long-running node (rondo node, rondo kv) stopped by
	// itself: its storage failed (fail-stop) or its process panicked.
	exitNodeFailed = 4
)

// nodeFailedError is a node that stopped by itself (exit 4).
type nodeFailedError struct{ err error }

func (e nodeFailedError) Error() string { return e.err.Error() }
func (e nodeFailedError) Unwrap() error { return e.err }

// usageError marks an error caused by bad flags or input (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// violationError means the run finished and a property did not hold (exit 1);
// the details were already printed.
type violationError struct{ count int }

func (e violationError) Error() string {
	return fmt.Sprintf("%d property violation(s)", e.count)
}

// inconclusiveError means the run stopped before doing all its work and
// nothing was violated (exit 3); the details were already printed.
type inconclusiveError struct{ reason string }

func (e inconclusiveError) Error() string { return "inconclusive: " + e.reason }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the CLI with args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var v violationError
	if errors.As(err, &v) {
		return exitViolation
	}
	fmt.Fprintln(stderr, "rondo:", err)
	var inc inconclusiveError
	if errors.As(err, &inc) {
		return exitInconclusive
	}
	var nf nodeFailedError
	if errors.As(err, &nf) {
		return exitNodeFailed
	}
	var u usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	// Errors cobra raises itself (unknown flag, missing argument) are usage
	// errors too; anything else that stopped a run is bad input as well,
	// since a completed run reports through violationError.
	return exitUsage
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "rondo",
		Short: "Run distributed protocols in a deterministic simulator and on a real network",
		Long: `Rondo runs the same protocol code two ways: in a deterministic simulator
(virtual time, seeded faults, exact replay) and on a real network of processes
talking over mutually authenticated TLS.

Exit status: 0 = the work asked for was done and every checked property held;
1 = a property was violated (counterexample printed, and saved where --trace
says); 2 = bad usage or input, or a fault spec outside the protocol's fault
model; 3 = inconclusive: a time, event or memory bound stopped the work before
it was done, and nothing was violated in what was done; 4 = a node (rondo
node, rondo kv) stopped by itself: its storage failed or its process panicked.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	for _, add := range subcommands {
		root.AddCommand(add())
	}
	return root
}

// subcommands is filled by each command's file, so that commands can be added
// without touching this one.
var subcommands []func() *cobra.Command
