// Command rondo runs Rondo protocols: in the deterministic simulator
// (rondo sim), over real TCP in one process (rondo run) or as one OS process
// per node (rondo node), and lists what it can run (rondo list).
//
// Exit status: 0 when every checked property held, 1 when a property was
// violated (the counterexample is printed and, with --trace, saved), 2 for bad
// usage or bad input, 3 when rondo check was inconclusive (a bound was hit or
// it was interrupted before a verdict; the statistics so far are printed).
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
	// exitInconclusive: rondo check stopped at a bound (--max-memory,
	// --max-states) or an interrupt before a verdict.
	exitInconclusive = 3
)

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

Exit status: 0 = every checked property held; 1 = a property was violated
(counterexample printed, and saved where --trace says); 2 = bad usage or input;
3 = inconclusive (rondo check hit a bound or was interrupted before a verdict).`,
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
