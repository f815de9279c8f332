package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rondo-dev/rondo/kv/client"
	"github.com/spf13/cobra"
)

// DefaultKVHTTPPort is where rondo kv's embedded linearizable cluster
// serves replica 0's HTTP API (replica I on the port after it), and so
// where the client commands look without --endpoints.
const DefaultKVHTTPPort = 7370

// defaultKVEndpoints is the embedded cluster's three replicas.
func defaultKVEndpoints() string {
	var eps []string
	for i := range 3 {
		eps = append(eps, fmt.Sprintf("http://127.0.0.1:%d", DefaultKVHTTPPort+i))
	}
	return strings.Join(eps, ",")
}

// kvClientFlags are the flags every client command takes.
type kvClientFlags struct {
	endpoints string
	timeout   time.Duration
	asJSON    bool
}

func (f *kvClientFlags) register(cmd *cobra.Command) {
	def := os.Getenv("RONDO_KV_ENDPOINTS")
	if def == "" {
		def = defaultKVEndpoints()
	}
	cmd.Flags().StringVar(&f.endpoints, "endpoints", def,
		"comma-separated replica URLs (default: $RONDO_KV_ENDPOINTS, else the embedded cluster's)")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 10*time.Second, "give up after this long (retries included)")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print the answer as one JSON object")
}

// connect builds the client and the command's deadline.
func (f *kvClientFlags) connect(parent context.Context) (*client.Client, context.Context, context.CancelFunc, error) {
	if f.timeout <= 0 {
		return nil, nil, nil, usagef("--timeout must be positive")
	}
	// Retries ride through a leader change; nothing listening at any
	// endpoint after two rounds means no service runs there.
	c, err := client.New(client.Config{Endpoints: strings.Split(f.endpoints, ","), GiveUpUnreachable: 2})
	if err != nil {
		return nil, nil, nil, usageError{err}
	}
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithTimeout(parent, f.timeout)
	return c, ctx, cancel, nil
}

// negative reports an answer that is not what the command hoped for —
// the key is absent, the compare-and-set did not swap — on stderr, and
// makes the command exit 1, as a check whose property does not hold does.
func negative(cmd *cobra.Command, format string, args ...any) error {
	fmt.Fprintf(cmd.ErrOrStderr(), "rondo: "+format+"\n", args...)
	return violationError{}
}

// kvClientError maps a client error to the CLI's exit statuses: 2 for a
// request the service refused as bad, 3 (inconclusive) for one that could
// not be done, saying whether it may have taken effect.
func kvClientError(err error) error {
	var e *client.Error
	switch {
	case errors.As(err, &e):
		return usageError{err}
	case errors.Is(err, client.ErrUnreachable):
		return inconclusiveError{reason: err.Error() + " — start the service " +
			"(rondo kv) or name its replicas with --endpoints URL,... or $RONDO_KV_ENDPOINTS"}
	case errors.Is(err, client.ErrUnknownOutcome):
		return inconclusiveError{reason: err.Error() + " — the operation may have taken effect"}
	case errors.Is(err, client.ErrNotTaken):
		return inconclusiveError{reason: err.Error() + " — the operation did not take effect"}
	}
	return err
}

// outcomeOf names an error's outcome for --json.
func outcomeOf(err error) string {
	switch {
	case errors.Is(err, client.ErrUnknownOutcome):
		return client.OutcomeUnknown
	case client.Definite(err):
		return client.OutcomeNotTaken
	}
	return ""
}

// printKVJSON writes v, or on error {"error", "outcome"}.
func printKVJSON(w io.Writer, v any, err error) {
	if err != nil {
		json.NewEncoder(w).Encode(client.ErrorReply{Error: err.Error(), Outcome: outcomeOf(err)})
		return
	}
	json.NewEncoder(w).Encode(v)
}

func newKVClientCmds() []*cobra.Command {
	return []*cobra.Command{newKVGetCmd(), newKVPutCmd(), newKVDelCmd(), newKVCASCmd(), newKVListCmd()}
}

func newKVGetCmd() *cobra.Command {
	var f kvClientFlags
	cmd := &cobra.Command{
		Use:   "get KEY",
		Short: "Read a key (exit 1 when it is absent)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ctx, cancel, err := f.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer cancel()
			defer c.Close()
			v, rev, err := c.Get(ctx, args[0])
			if errors.Is(err, client.ErrNotFound) {
				if f.asJSON {
					json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"key": args[0], "found": false})
				}
				return negative(cmd, "no key %q", args[0])
			}
			if f.asJSON {
				printKVJSON(cmd.OutOrStdout(), client.Entry{Key: args[0], JSONValue: client.EncodeValue(v), Revision: rev}, err)
			}
			if err != nil {
				return kvClientError(err)
			}
			if !f.asJSON {
				out := cmd.OutOrStdout()
				out.Write(v)
				fmt.Fprintln(out)
			}
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

func newKVPutCmd() *cobra.Command {
	var f kvClientFlags
	cmd := &cobra.Command{
		Use:   "put KEY [VALUE]",
		Short: "Write a key (the value from standard input when VALUE is left out)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var value []byte
			if len(args) == 2 {
				value = []byte(args[1])
			} else {
				var err error
				if value, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), 64<<20)); err != nil {
					return usagef("reading the value from standard input: %v", err)
				}
			}
			c, ctx, cancel, err := f.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer cancel()
			defer c.Close()
			rev, err := c.Put(ctx, args[0], value)
			if f.asJSON {
				printKVJSON(cmd.OutOrStdout(), client.WriteReply{Key: args[0], Revision: rev}, err)
			} else if err == nil {
				fmt.Fprintf(cmd.OutOrStdout(), "OK (revision %d)\n", rev)
			}
			return kvClientError(err)
		},
	}
	f.register(cmd)
	return cmd
}

func newKVDelCmd() *cobra.Command {
	var f kvClientFlags
	cmd := &cobra.Command{
		Use:     "del KEY",
		Aliases: []string{"delete"},
		Short:   "Delete a key (deleting an absent key succeeds)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ctx, cancel, err := f.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer cancel()
			defer c.Close()
			existed, err := c.Delete(ctx, args[0])
			if f.asJSON {
				printKVJSON(cmd.OutOrStdout(), client.WriteReply{Key: args[0], Deleted: &existed}, err)
			} else if err == nil && existed {
				fmt.Fprintln(cmd.OutOrStdout(), "deleted")
			} else if err == nil {
				fmt.Fprintln(cmd.OutOrStdout(), "absent (nothing to delete)")
			}
			return kvClientError(err)
		},
	}
	f.register(cmd)
	return cmd
}

func newKVCASCmd() *cobra.Command {
	var f kvClientFlags
	var expect string
	var absent bool
	cmd := &cobra.Command{
		Use:   "cas KEY NEW (--expect OLD | --absent)",
		Short: "Compare-and-set: write NEW if KEY holds OLD, or is absent (exit 1 when it does not)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if absent == cmd.Flags().Changed("expect") {
				return usagef("give exactly one of --expect OLD and --absent")
			}
			var old []byte
			if !absent {
				old = []byte(expect)
			}
			c, ctx, cancel, err := f.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer cancel()
			defer c.Close()
			r, err := c.CompareAndSet(ctx, args[0], old, []byte(args[1]))
			if f.asJSON {
				rep := client.CASReply{Key: args[0], Swapped: r.Swapped, Found: r.Found || r.Swapped, Revision: r.Revision}
				if r.Found && !r.Swapped {
					rep.JSONValue = client.EncodeValue(r.Value)
				}
				printKVJSON(cmd.OutOrStdout(), rep, err)
			}
			if err != nil {
				return kvClientError(err)
			}
			switch {
			case r.Swapped:
				if !f.asJSON {
					fmt.Fprintf(cmd.OutOrStdout(), "swapped (revision %d)\n", r.Revision)
				}
				return nil
			case r.Found:
				return negative(cmd, "not swapped: %q holds %q (revision %d)", args[0], r.Value, r.Revision)
			}
			return negative(cmd, "not swapped: %q is absent", args[0])
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&expect, "expect", "", "the value KEY must hold")
	cmd.Flags().BoolVar(&absent, "absent", false, "KEY must be absent")
	return cmd
}

func newKVListCmd() *cobra.Command {
	var f kvClientFlags
	var o client.ListOptions
	var all bool
	cmd := &cobra.Command{
		Use:   "list [--prefix P | --start A --end B]",
		Short: "List keys in order, with their values (KEY<TAB>VALUE per line)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Prefix != "" && o.End != "" {
				return usagef("--prefix and --end do not go together: a prefix sets the end")
			}
			if o.Limit < 0 {
				return usagef("--limit must not be negative")
			}
			c, ctx, cancel, err := f.connect(cmd.Context())
			if err != nil {
				return err
			}
			defer cancel()
			defer c.Close()
			var items []client.Item
			var res client.ListResult
			for {
				if res, err = c.List(ctx, o); err != nil {
					break
				}
				items = append(items, res.Items...)
				if !all || !res.More {
					break
				}
				o.Start = res.Next
			}
			out := cmd.OutOrStdout()
			if f.asJSON {
				rep := client.ListReply{Items: []client.Entry{}, More: res.More, Next: res.Next, Revision: res.Revision}
				for _, it := range items {
					e := client.Entry{Key: it.Key, Revision: it.Revision}
					if !o.KeysOnly {
						e.JSONValue = client.EncodeValue(it.Value)
					}
					rep.Items = append(rep.Items, e)
				}
				printKVJSON(out, rep, err)
				return kvClientError(err)
			}
			for _, it := range items {
				if o.KeysOnly {
					fmt.Fprintln(out, it.Key)
				} else {
					fmt.Fprintf(out, "%s\t%s\n", it.Key, it.Value)
				}
			}
			if err == nil && res.More {
				fmt.Fprintf(cmd.ErrOrStderr(), "(more: --all, or --start %q)\n", res.Next)
			}
			return kvClientError(err)
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&o.Prefix, "prefix", "", "list the keys that start with P")
	fl.StringVar(&o.Start, "start", "", "list from this key (inclusive)")
	fl.StringVar(&o.End, "end", "", "list up to this key (exclusive)")
	fl.IntVar(&o.Limit, "limit", 0, "at most this many keys per page (default: the service's, 1000)")
	fl.BoolVar(&o.KeysOnly, "keys", false, "keys only")
	fl.BoolVar(&all, "all", false, "every page, not just the first")
	return cmd
}
