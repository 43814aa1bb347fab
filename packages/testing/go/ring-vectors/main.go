// ring-vectors prints golang/groupcache consistenthash owners for peer sets and keys read from stdin.
// Input: JSON {"replicas":50,"cases":[{"peers":["a","b"],"keys":["k1","k2"]}]}
// Output: JSON [["owner-of-k1","owner-of-k2"], ...]
package main

import (
	"encoding/json"
	"os"

	"github.com/golang/groupcache/consistenthash"
)

type input struct {
	Replicas int `json:"replicas"`
	Cases    []struct {
		Peers []string `json:"peers"`
		Keys  []string `json:"keys"`
	} `json:"cases"`
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		os.Stderr.WriteString("ring-vectors: bad input: " + err.Error() + "\n")
		os.Exit(2)
	}
	out := make([][]string, 0, len(in.Cases))
	for _, c := range in.Cases {
		m := consistenthash.New(in.Replicas, nil)
		m.Add(c.Peers...)
		owners := make([]string, len(c.Keys))
		for i, k := range c.Keys {
			owners[i] = m.Get(k)
		}
		out = append(out, owners)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
