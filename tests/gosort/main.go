// Command gosort is the oracle for policyc/gosort.py: it reads JSON lines,
// each an array of integer keys, sorts the elements with sort.Slice and the
// less function key[i] < key[j] (as Rampart's engine orders policies by
// priority), and prints for each line the original indices in the order
// sort.Slice left them, as a JSON array on one line. Output is flushed
// whenever no further input is buffered, so it serves both a batch run and
// a caller exchanging one line at a time. Standard library only.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
)

type element struct {
	index int
	key   int
}

func main() {
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer out.Flush()
	for lineNo := 1; ; lineNo++ {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 && !(len(line) == 1 && line[0] == '\n') {
			var keys []int
			if jerr := json.Unmarshal(line, &keys); jerr != nil {
				fmt.Fprintf(os.Stderr, "line %d: %v\n", lineNo, jerr)
				out.Flush()
				os.Exit(2)
			}
			elems := make([]element, len(keys))
			for i, k := range keys {
				elems[i] = element{index: i, key: k}
			}
			sort.Slice(elems, func(i, j int) bool { return elems[i].key < elems[j].key })
			order := make([]int, len(elems))
			for i, e := range elems {
				order[i] = e.index
			}
			encoded, _ := json.Marshal(order)
			out.Write(encoded)
			out.WriteByte('\n')
			if in.Buffered() == 0 {
				// No more input at hand: answer now, so a caller that
				// sends one line at a time gets its reply.
				out.Flush()
			}
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}
