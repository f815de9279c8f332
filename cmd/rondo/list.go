package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newListCmd) }

type listEntry struct {
	Name       string   `json:"name"`
	Model      string   `json:"model"`
	Summary    string   `json:"summary"`
	FaultModel string   `json:"fault_model"`
	Threshold  string   `json:"threshold"`
	Faults     string   `json:"faults"`
	Properties []string `json:"properties"`
	Liveness   []string `json:"liveness"`
	MinNodes   int      `json:"min_nodes"`
	// MaxNodes is 0 when the protocol sets no limit of its own.
	MaxNodes int `json:"max_nodes"`
}

func newListCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the protocols rondo can run, with their model and fault assumptions",
		Example: `  rondo list
  rondo list --json | jq '.protocols[].name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			var out []listEntry
			for _, s := range catalog().All() {
				out = append(out, listEntry{Name: s.Name, Model: s.Model, Summary: s.Summary,
					FaultModel: s.FaultModel, Threshold: s.Threshold,
					Faults: s.Faults, Properties: s.Properties, Liveness: append([]string{}, s.Liveness...),
					MinNodes: max(s.MinNodes, 1), MaxNodes: s.MaxNodes})
			}
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"protocols": out})
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PROTOCOL\tMODEL\tFAULTS\tTHRESHOLD\tWHAT IT DOES")
			for _, e := range out {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Name, e.Model, e.FaultModel, e.Threshold, e.Summary)
			}
			tw.Flush()
			fmt.Fprintln(w)
			for _, e := range out {
				nodes := fmt.Sprintf("n ≥ %d", e.MinNodes)
				if e.MaxNodes > 0 {
					nodes = fmt.Sprintf("%d ≤ n ≤ %d", e.MinNodes, e.MaxNodes)
				}
				fmt.Fprintf(w, "%s (%s) tolerates: %s\n", e.Name, nodes, e.Faults)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object: {\"protocols\": [...]}")
	return cmd
}
