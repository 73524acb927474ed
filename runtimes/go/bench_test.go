package policyc

import (
	"bytes"
	"os"
	"testing"
	"time"

	"policyc.dev/runtime/canon"
)

// vectorCalls: the calls of a vector set (optionally only those whose JSON
// is shorter than maxLen bytes).
func vectorCalls(b *testing.B, name string, maxLen int) []*Value {
	data, err := os.ReadFile("../vectors/" + name)
	if err != nil {
		b.Skip(err)
	}
	var calls []*Value
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		call, _, err := splitVector(line)
		if err != nil {
			b.Fatal(err)
		}
		if maxLen <= 0 || len(DumpsSorted(call)) < maxLen {
			calls = append(calls, call)
		}
	}
	return calls
}

func benchDecide(b *testing.B, calls []*Value) {
	bundle, err := LoadBundle("../vectors/stdlib__standard.bundle.json")
	if err != nil {
		b.Skip(err)
	}
	opts := &Options{Now: time.Now()}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bundle.DecideAny(calls[i%len(calls)], opts)
	}
}

// BenchmarkDecide: the standard policy deciding its vector calls.
func BenchmarkDecide(b *testing.B) {
	benchDecide(b, vectorCalls(b, "stdlib__standard.calls.jsonl", 0))
}

// BenchmarkDecideShort: the same without the calls of 1,000 bytes or more.
func BenchmarkDecideShort(b *testing.B) {
	benchDecide(b, vectorCalls(b, "stdlib__standard.calls.jsonl", 1000))
}

// BenchmarkCanonOnly: what canon.CommandAnalysis alone costs on those
// calls' commands (the part of a decision spent in package canon).
func BenchmarkCanonOnly(b *testing.B) {
	var cmds []string
	for _, call := range vectorCalls(b, "stdlib__standard.calls.jsonl", 1000) {
		tc, err := CallFromValue(call)
		if err != nil {
			continue
		}
		if f, err := fieldsOf(tc); err == nil && f.HasCommand {
			cmds = append(cmds, f.Command)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := canon.NewCommandAnalysis(cmds[i%len(cmds)])
		a.Spellings()
		a.GrantingTexts()
		a.FoldedSpellings()
		a.ContainsTexts()
		a.Components()
		a.HeadFold()
	}
}

// BenchmarkDecideFile: the standard policy's vector bundle (or
// POLICYC_BENCH_BUNDLE) deciding the calls of POLICYC_BENCH_CALLS (a JSON
// lines file, e.g. benchmarks.calls.realistic_calls); skipped without it.
func BenchmarkDecideFile(b *testing.B) {
	path := os.Getenv("POLICYC_BENCH_CALLS")
	if path == "" {
		b.Skip("POLICYC_BENCH_CALLS not set")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	bundlePath := os.Getenv("POLICYC_BENCH_BUNDLE")
	if bundlePath == "" {
		bundlePath = "../vectors/stdlib__standard.bundle.json"
	}
	bundle, err := LoadBundle(bundlePath)
	if err != nil {
		b.Fatal(err)
	}
	var calls []Value
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		if v, err := ParseJSON(line, MaxCallDepth, false); err == nil {
			calls = append(calls, v)
		}
	}
	opts := &Options{Now: time.Now()}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bundle.DecideAny(&calls[i%len(calls)], opts)
	}
}
