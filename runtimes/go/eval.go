package policyc

// `policyc eval BUNDLE` (policyc/cli.py eval_): JSON-lines calls in, one
// decision line out per input line, byte for byte as the Python CLI.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
)

// readLine is Python's readline(MaxCallBytes + 1) plus eval's draining of
// an oversized line: (line without "\n", oversized, ok).
func readLine(r *bufio.Reader) ([]byte, bool, bool) {
	var line []byte
	oversized := false
	total := 0
	for {
		chunk, err := r.ReadSlice('\n')
		total += len(chunk)
		if !oversized {
			line = append(line, chunk...)
			content := len(line)
			if content > 0 && line[content-1] == '\n' {
				content--
			}
			if content > MaxCallBytes {
				oversized, line = true, nil
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil && total == 0 {
			return nil, false, false
		}
		break
	}
	if oversized {
		return nil, true, true
	}
	return bytes.TrimSuffix(line, []byte("\n")), false, true
}

// isPyBlank is `not line.strip()` on bytes.
func isPyBlank(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r', '\v', '\f':
		default:
			return false
		}
	}
	return true
}

// EvalLine is the output line (without "\n") for input line number n.
func EvalLine(decide func(*Value) (*Decision, error), line []byte, oversized bool, n int) []byte {
	var reason string
	switch {
	case oversized:
		reason = fmt.Sprintf("line is over %d bytes", MaxCallBytes)
	case isPyBlank(line):
		reason = "blank line (expected a JSON tool call)"
	default:
		call, err := ParseJSON(line, MaxCallDepth, false)
		if err == nil {
			var d *Decision
			d, err = decide(&call)
			if err == nil {
				v := d.JSON()
				v.O.set("line", IntV(int64(n)))
				return DumpsSorted(&v)
			}
		}
		reason = err.Error()
	}
	v := NewObject("action", Str("deny"), "error", Str(fmt.Sprintf("line %d: %s", n, reason)), "line", IntV(int64(n)))
	return DumpsSorted(&v)
}

// Eval answers every line of in on out (policyc eval's loop).
func Eval(in io.Reader, out io.Writer, decide func(*Value) (*Decision, error)) error {
	r := bufio.NewReaderSize(in, 1<<16)
	w := bufio.NewWriterSize(out, 1<<16)
	n := 0
	for {
		line, oversized, ok := readLine(r)
		if !ok {
			break
		}
		n++
		w.Write(EvalLine(decide, line, oversized, n))
		if err := w.WriteByte('\n'); err != nil {
			return err
		}
	}
	return w.Flush()
}
