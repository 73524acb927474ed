package canon

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
)

// BenchmarkAnalysisFile: what a decision asks of CommandAnalysis, on the
// commands of POLICYC_BENCH_COMMANDS (JSON strings, one a line); skipped
// without it.
func BenchmarkAnalysisFile(b *testing.B) {
	path := os.Getenv("POLICYC_BENCH_COMMANDS")
	if path == "" {
		b.Skip("POLICYC_BENCH_COMMANDS not set")
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var cmds []string
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		var s string
		if json.Unmarshal(scanner.Bytes(), &s) == nil {
			if _, plain := plainSegments(s, nil); !plain || os.Getenv("POLICYC_BENCH_PLAIN") != "" {
				cmds = append(cmds, s)
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a := NewCommandAnalysis(cmds[i%len(cmds)])
		a.Spellings()
		a.GrantingTexts()
		a.FoldedSpellings()
		a.ContainsTexts()
		a.Components()
		a.HeadFold()
		a.EnvNames()
	}
}
