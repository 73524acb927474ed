// Command policyc-eval decides JSON-lines Rampart tool calls with a policyc
// bundle, printing exactly what `policyc eval BUNDLE` prints.
//
//	policyc-eval BUNDLE [--now RFC3339] < calls.jsonl
package main

import (
	"fmt"
	"os"
	"time"

	policyc "policyc.dev/runtime"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: policyc-eval BUNDLE [--now RFC3339] < calls.jsonl")
	os.Exit(2)
}

func main() {
	var path string
	var now time.Time
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--now" || a == "-now":
			if i+1 >= len(args) {
				usage()
			}
			i++
			t, err := time.Parse(time.RFC3339Nano, args[i])
			if err != nil {
				fmt.Fprintf(os.Stderr, "error: --now: %v\n", err)
				os.Exit(2)
			}
			now = t
		case len(a) > 6 && a[:6] == "--now=":
			t, err := time.Parse(time.RFC3339Nano, a[6:])
			if err != nil {
				fmt.Fprintf(os.Stderr, "error: --now: %v\n", err)
				os.Exit(2)
			}
			now = t
		case a == "-h" || a == "--help":
			usage()
		case path == "":
			path = a
		default:
			usage()
		}
	}
	if path == "" {
		usage()
	}
	bundle, err := policyc.LoadBundle(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %s\n", err)
		os.Exit(2)
	}
	opts := &policyc.Options{Now: now}
	decide := func(call *policyc.Value) (*policyc.Decision, error) {
		o := *opts
		if o.Now.IsZero() {
			o.Now = time.Now()
		}
		return bundle.DecideValue(call, &o)
	}
	if err := policyc.Eval(os.Stdin, os.Stdout, decide); err != nil {
		os.Exit(141)
	}
}
