// Command policyc-bench measures the Go runtime's decision speed:
//
//	policyc-bench BUNDLE [-seconds N] [-warmup N] < calls.jsonl
//
// Calls are parsed before the clock starts; only Bundle.DecideAny on a
// parsed call is timed (as rampart-oracle bench times engine.Evaluate).
// Every call (one JSON value a line; lines that are not JSON are skipped)
// is decided with a fresh decision path (nothing is memoized across
// decisions) on one OS thread (GOMAXPROCS=1), round robin until the time
// is up, after `-warmup` untimed passes. It prints one JSON object with the
// keys of `rampart-oracle bench`: decisions_per_s, mean_us, p50_us,
// p99_us, max_us, n (decisions timed), calls (calls read), wall_s, plus
// engine, gomaxprocs, cpu_s and decisions_per_cpu_s (CPU time while
// measuring: steadier than wall time on a loaded machine).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	policyc "policyc.dev/runtime"
)

func main() {
	runtime.GOMAXPROCS(1)
	seconds := flag.Float64("seconds", 5, "measurement time in seconds")
	warmup := flag.Int("warmup", 1, "untimed passes over the calls before measuring")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: policyc-bench BUNDLE [-seconds N] [-warmup N] < calls.jsonl")
		flag.PrintDefaults()
	}
	// allow flags after the bundle argument
	args := os.Args[1:]
	var path string
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if path == "" && len(a) > 0 && a[0] != '-' {
			path = a
			continue
		}
		rest = append(rest, a)
		// a flag's value in the next argument (-seconds 5) is not the bundle
		if name := strings.TrimLeft(a, "-"); !strings.Contains(name, "=") && i+1 < len(args) &&
			flag.Lookup(name) != nil {
			i++
			rest = append(rest, args[i])
		}
	}
	if err := flag.CommandLine.Parse(rest); err != nil || path == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	bundle, err := policyc.LoadBundle(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %s\n", err)
		os.Exit(2)
	}
	var calls []policyc.Value
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<16), policyc.MaxCallBytes+1)
	for scanner.Scan() {
		v, err := policyc.ParseJSON(scanner.Bytes(), policyc.MaxCallDepth, false)
		if err != nil {
			continue
		}
		calls = append(calls, v)
	}
	if len(calls) == 0 {
		fmt.Fprintln(os.Stderr, "error: no calls on stdin")
		os.Exit(2)
	}
	opts := &policyc.Options{Now: time.Now()}
	for p := 0; p < *warmup; p++ {
		for i := range calls {
			bundle.DecideAny(&calls[i], opts)
		}
	}
	budget := time.Duration(*seconds * float64(time.Second))
	lat := make([]float64, 0, 1<<20)
	cpu0 := cpuSeconds()
	start := time.Now()
	var busy time.Duration
	for i := 0; ; i++ {
		if i%len(calls) == 0 && time.Since(start) >= budget {
			break
		}
		t0 := time.Now()
		bundle.DecideAny(&calls[i%len(calls)], opts)
		d := time.Since(t0)
		busy += d
		lat = append(lat, float64(d.Nanoseconds())/1000)
	}
	wall := time.Since(start)
	cpu := cpuSeconds() - cpu0
	sorted := append([]float64(nil), lat...)
	sort.Float64s(sorted)
	pct := func(p float64) float64 {
		k := int(p * float64(len(sorted)-1))
		return sorted[k]
	}
	mean := float64(busy.Nanoseconds()) / 1000 / float64(len(lat))
	out := map[string]any{
		"calls":           len(calls),
		"decisions_per_s": float64(len(lat)) / wall.Seconds(),
		"engine":          "policyc Go bundle runtime",
		"gomaxprocs":      runtime.GOMAXPROCS(0),
		"max_us":          sorted[len(sorted)-1],
		"mean_us":         mean,
		"n":               len(lat),
		"p50_us":          pct(0.50),
		"p99_us":          pct(0.99),
		"wall_s":          wall.Seconds(),
		// CPU time of the process while measuring (user+system), and the
		// rate per CPU second: steadier than wall time on a shared machine
		"cpu_s":               cpu,
		"decisions_per_cpu_s": float64(len(lat)) / cpu,
	}
	text, _ := json.Marshal(out)
	fmt.Println(string(text))
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}
